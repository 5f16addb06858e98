"""Batches on the sending side: one signed POST for many messages, one outcome each."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from webhook_receiver import Receiver, Scripted, wait_until

from reportflow.runner.events import EventKind, ReportEvent
from reportflow.webhooks import (
    MessageState,
    Outbox,
    OutboxDispatcher,
    Outcome,
    RetrySchedule,
    WebhookClient,
    WebhookSink,
)
from reportflow.webhooks.batch import Message

FAST = RetrySchedule(delays=(0, 0.05), repeat_every=0.1, jitter=0)


def _started(job: str) -> ReportEvent:
    return ReportEvent(kind=EventKind.STARTED, job_id=job, report="r", attempt=1)


def _messages(n: int) -> list[Message]:
    return [Message(f"m{i}", json.dumps({"type": "t", "n": i}).encode()) for i in range(1, n + 1)]


async def test_send_many_posts_signed_batches_and_keeps_the_order(
    receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(receiver.url, secret, batch_size=3) as client:
        attempts = await client.send_many(_messages(5))
    assert [a.msg_id for a in attempts] == ["m1", "m2", "m3", "m4", "m5"]
    assert {a.outcome for a in attempts} == {Outcome.DELIVERED}
    assert len(receiver.requests) == 2
    assert all(r.verified and r.msg_id.startswith("msg_batch_") for r in receiver.requests)
    sizes = sorted(len(r.json["messages"]) for r in receiver.requests)
    assert sizes == [2, 3]
    carried = [m["message"]["n"] for r in receiver.requests for m in r.json["messages"]]
    assert sorted(carried) == [1, 2, 3, 4, 5]


async def test_each_message_gets_the_outcome_of_its_own_result(
    receiver: Receiver, secret: str
) -> None:
    receiver.batch_statuses.update({"m2": 410, "m3": 422, "m4": 503})
    async with WebhookClient(receiver.url, secret, batch_size=10) as client:
        attempts = await client.send_many(_messages(4))
    assert [(a.outcome, a.status) for a in attempts] == [
        (Outcome.DELIVERED, 200),
        (Outcome.GONE, 410),
        (Outcome.FAILED, 422),
        (Outcome.RETRY, 503),
    ]
    assert attempts[0].error is None
    assert "422" in str(attempts[2].error)


async def test_a_refused_batch_is_a_refusal_of_every_message(
    receiver: Receiver, secret: str
) -> None:
    receiver.script.append(Scripted(503, headers={"Retry-After": "7"}))
    async with WebhookClient(receiver.url, secret, batch_size=10) as client:
        attempts = await client.send_many(_messages(3))
    assert [(a.msg_id, a.outcome, a.status) for a in attempts] == [
        (f"m{i}", Outcome.RETRY, 503) for i in (1, 2, 3)
    ]
    assert {a.retry_after for a in attempts} == {7.0}


async def test_an_answer_without_results_leaves_every_message_to_retry(
    receiver: Receiver, secret: str
) -> None:
    receiver.script.append(Scripted(204))  # an endpoint that does not know batches
    async with WebhookClient(receiver.url, secret, batch_size=10) as client:
        attempts = await client.send_many(_messages(2))
    assert {a.outcome for a in attempts} == {Outcome.RETRY}
    assert all("no result" in (a.error or "") for a in attempts)


async def test_an_unreachable_endpoint_fails_every_message_for_retry(
    down_receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(down_receiver.url, secret, batch_size=10) as client:
        attempts = await client.send_many(_messages(2))
    assert [(a.outcome, a.status) for a in attempts] == [(Outcome.RETRY, None)] * 2
    assert all(a.error for a in attempts)


async def test_the_dispatcher_sends_due_messages_as_one_batch_and_records_each(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    receiver.batch_statuses["e3"] = 500  # this one is retried, alone
    for i in range(1, 6):
        await sqlite_outbox.add(receiver.url, f"e{i}", {"type": "t", "n": i})
    async with (
        WebhookClient(receiver.url, secret, batch_size=64) as client,
        OutboxDispatcher(sqlite_outbox, client, schedule=FAST),
    ):

        async def settled() -> bool:
            states = [(await sqlite_outbox.get(f"e{i}")).state for i in range(1, 6)]
            return states.count(MessageState.DELIVERED) == 5

        receiver.batch_statuses.pop("e3")  # answered 500 once, then accepted
        await wait_until(settled)
    first = receiver.requests[0]
    assert first.msg_id.startswith("msg_batch_")
    assert [m["id"] for m in first.json["messages"]] == ["e1", "e2", "e3", "e4", "e5"]
    assert [len(await sqlite_outbox.attempts(f"e{i}")) for i in (1, 2, 4, 5)] == [1, 1, 1, 1]


async def test_direct_messages_gather_into_batches_behind_a_slow_requestor(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    receiver.script.extend(Scripted(204, delay=0.2) for _ in range(4))  # every slot busy
    async with WebhookClient(receiver.url, secret, batch_size=64) as client:
        sink = WebhookSink(client, sqlite_outbox)
        for job in range(4):
            await sink.emit(_started(f"j{job}"))
        for job in range(4, 30):
            await sink.emit(_started(f"j{job}"))
        await sink.drain()
    assert len(receiver.requests) == 5  # four slow ones, then one batch of the 26 that waited
    last = receiver.requests[-1]
    assert [m["message"]["data"]["job_id"] for m in last.json["messages"]] == [
        f"j{job}" for job in range(4, 30)
    ]


async def test_a_message_stored_leased_is_sent_by_another_dispatcher_if_its_own_dies(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(receiver.url, secret) as client:
        own = OutboxDispatcher(sqlite_outbox, client, schedule=FAST, lease=0.5)
        await own.start()
        own.hand_over = lambda message: None  # type: ignore[method-assign]  # dies right here
        sink = WebhookSink(client, sqlite_outbox, dispatcher=own)
        await sink.emit(ReportEvent(kind=EventKind.SUCCEEDED, job_id="j1", report="r", attempt=1))
        await own.stop()
        async with OutboxDispatcher(sqlite_outbox, client, schedule=FAST, poll_interval=0.05):
            await asyncio.sleep(0.3)
            assert receiver.requests == []  # still leased to the dead dispatcher
            await receiver.wait_for(lambda: receiver.ids() == ["msg_j1_1_succeeded"])
    assert (await sqlite_outbox.get("msg_j1_1_succeeded")).state is MessageState.DELIVERED


async def test_a_message_handed_over_is_sent_without_waiting_for_a_poll(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with (
        WebhookClient(receiver.url, secret) as client,
        OutboxDispatcher(sqlite_outbox, client, schedule=FAST, poll_interval=30.0) as own,
    ):
        sink = WebhookSink(client, sqlite_outbox, dispatcher=own)
        await sink.emit(ReportEvent(kind=EventKind.FAILED, job_id="j2", report="r", attempt=1))
        await receiver.wait_for(lambda: receiver.ids() == ["msg_j2_1_failed"], timeout=2.0)
    assert (await sqlite_outbox.get("msg_j2_1_failed")).state is MessageState.DELIVERED


async def test_handed_over_messages_need_no_claim_in_the_database(
    tmp_path: Path, receiver: Receiver, secret: str
) -> None:
    claims = 0

    class CountingOutbox(Outbox):
        async def claim_due(self, *args: Any, **kwargs: Any) -> Any:
            nonlocal claims
            claims += 1
            return await super().claim_due(*args, **kwargs)

    box = CountingOutbox.from_url(f"sqlite:///{tmp_path / 'c.db'}")
    await box.create_tables()
    async with (
        WebhookClient(receiver.url, secret) as client,
        OutboxDispatcher(box, client, schedule=FAST, poll_interval=30.0) as own,
    ):
        await asyncio.sleep(0.1)  # the first look at start-up
        at_start = claims
        sink = WebhookSink(client, box, dispatcher=own)
        for job in ("j1", "j2", "j3"):
            await sink.emit(
                ReportEvent(kind=EventKind.SUCCEEDED, job_id=job, report="r", attempt=1)
            )
            await receiver.wait_for(lambda job=job: f"msg_{job}_1_succeeded" in receiver.ids())
        await asyncio.sleep(0.2)  # time for a look in the database, were one made
    assert claims == at_start  # sent from memory, no claim round trip per message
    await box.close()
