"""The outbox and its dispatcher on SQLite and PostgreSQL, against a real receiver."""

from __future__ import annotations

import pytest
from webhook_receiver import Receiver, Scripted, wait_until

from reportflow.errors import WebhookDeliveryError
from reportflow.webhooks import (
    MessageState,
    Outbox,
    OutboxDispatcher,
    RetrySchedule,
    WebhookClient,
)

pytestmark = pytest.mark.integration

FAST = RetrySchedule(delays=(0, 0.05, 0.1), repeat_every=None, jitter=0)


async def _state_is(outbox: Outbox, msg_id: str, state: MessageState) -> bool:
    return (await outbox.get(msg_id)).state is state


async def test_fails_twice_then_accepts(outbox: Outbox, receiver: Receiver, secret: str) -> None:
    receiver.script += [Scripted(500), Scripted(502)]
    async with (
        WebhookClient(receiver.url, secret) as client,
        OutboxDispatcher(outbox, client, schedule=FAST),
    ):
        assert await outbox.add(client.endpoint, "msg_r", {"n": 1})
        await wait_until(lambda: _state_is(outbox, "msg_r", MessageState.DELIVERED))
    assert receiver.ids() == ["msg_r"] * 3
    assert all(r.verified for r in receiver.requests)
    records = await outbox.attempts("msg_r")
    assert [(a.attempt, a.status) for a in records] == [(1, 500), (2, 502), (3, 204)]
    assert all(a.latency_ms > 0 for a in records)
    assert records[0].error is not None
    assert "HTTP 500" in records[0].error
    delivered = await outbox.get("msg_r")
    assert (delivered.attempts, delivered.last_status, delivered.last_error) == (3, 204, None)


async def test_schedule_exhausted_marks_dead(
    outbox: Outbox, down_receiver: Receiver, secret: str
) -> None:
    async with (
        WebhookClient(down_receiver.url, secret) as client,
        OutboxDispatcher(outbox, client, schedule=FAST),
    ):
        await outbox.add(client.endpoint, "msg_x", {})
        await wait_until(lambda: _state_is(outbox, "msg_x", MessageState.DEAD))
    records = await outbox.attempts("msg_x")
    assert len(records) == len(FAST.delays)
    assert all(a.status is None and a.error and "connect failed: " in a.error for a in records)


async def test_retry_after_is_honoured(outbox: Outbox, receiver: Receiver, secret: str) -> None:
    receiver.script.append(Scripted(429, {"retry-after": "1"}))
    async with (
        WebhookClient(receiver.url, secret) as client,
        OutboxDispatcher(outbox, client, schedule=FAST),
    ):
        await outbox.add(client.endpoint, "msg_ra", {})
        await receiver.wait_for(lambda: len(receiver.requests) == 2)
    first, second = receiver.requests
    # The schedule alone would retry after 0.05 s; the receiver asked for 1 s.
    assert second.at - first.at >= 1.0
    assert (await outbox.get("msg_ra")).state is MessageState.DELIVERED


@pytest.mark.parametrize(("status", "state"), [(410, MessageState.GONE), (400, MessageState.DEAD)])
async def test_gone_and_bad_request_stop_at_once(
    outbox: Outbox, receiver: Receiver, secret: str, status: int, state: MessageState
) -> None:
    receiver.script.append(Scripted(status))
    async with (
        WebhookClient(receiver.url, secret) as client,
        OutboxDispatcher(outbox, client, schedule=FAST),
    ):
        await outbox.add(client.endpoint, "msg_s", {})
        await wait_until(lambda: _state_is(outbox, "msg_s", state))
        assert await outbox.next_due_at([client.endpoint]) is None
    assert receiver.ids() == ["msg_s"]
    failed = await outbox.list_deliveries(failed_only=True)
    assert [(d.id, d.last_status) for d in failed] == [("msg_s", status)]


async def test_redeliver_sends_a_dead_message_again(
    outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    receiver.script.append(Scripted(400))
    async with (
        WebhookClient(receiver.url, secret) as client,
        OutboxDispatcher(outbox, client, schedule=FAST),
    ):
        await outbox.add(client.endpoint, "msg_d", {"v": 1})
        await wait_until(lambda: _state_is(outbox, "msg_d", MessageState.DEAD))
        again = await outbox.redeliver("msg_d")
        assert again.state is MessageState.PENDING
        await wait_until(lambda: _state_is(outbox, "msg_d", MessageState.DELIVERED))
    assert receiver.ids() == ["msg_d", "msg_d"]
    assert [a.attempt for a in await outbox.attempts("msg_d")] == [1, 2]
    assert await outbox.list_deliveries(failed_only=True) == []
    with pytest.raises(WebhookDeliveryError, match="'msg_d' was delivered"):
        await outbox.redeliver("msg_d")
    with pytest.raises(WebhookDeliveryError, match="no webhook message 'msg_nope'"):
        await outbox.redeliver("msg_nope")


async def test_adding_the_same_id_twice_stores_one_message(outbox: Outbox) -> None:
    assert await outbox.add("requestor", "msg_dup", {"v": 1})
    assert not await outbox.add("requestor", "msg_dup", {"v": 2})
    [only] = await outbox.list_deliveries()
    assert only.payload == {"v": 1}


async def test_an_added_message_wakes_the_dispatcher(
    outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with (
        WebhookClient(receiver.url, secret) as client,
        OutboxDispatcher(outbox, client, poll_interval=60.0),
    ):
        await outbox.add(client.endpoint, "msg_w", {})
        # A 60 s poll would blow the wait; only the wake-up gets it there in time.
        await receiver.wait_for(lambda: receiver.ids() == ["msg_w"], timeout=2.0)


async def test_pending_messages_survive_a_restart(
    outbox_url: str, down_receiver: Receiver, secret: str
) -> None:
    keep_trying = RetrySchedule(delays=(0, 0.05), repeat_every=0.1, jitter=0)
    first = Outbox.from_url(outbox_url)
    await first.create_tables()
    ids = [f"msg_{i}" for i in range(5)]
    async with (
        WebhookClient(down_receiver.url, secret, name="requestor") as client,
        OutboxDispatcher(first, client, schedule=keep_trying),
    ):
        for msg_id in ids:
            await first.add("requestor", msg_id, {"id": msg_id})

        async def all_tried() -> bool:
            return all(d.attempts >= 1 for d in await first.list_deliveries())

        await wait_until(all_tried)
    await first.close()

    await down_receiver.start()
    second = Outbox.from_url(outbox_url)
    # A new process: new outbox object, new client (the URL could differ, the name not).
    async with (
        WebhookClient(down_receiver.url, secret, name="requestor") as client,
        OutboxDispatcher(second, client, schedule=keep_trying),
    ):
        await down_receiver.wait_for(lambda: set(down_receiver.ids()) == set(ids))

        async def all_delivered() -> bool:
            states = {d.state for d in await second.list_deliveries()}
            return states == {MessageState.DELIVERED}

        await wait_until(all_delivered)
    await second.close()
    assert sorted(down_receiver.ids()) == sorted(ids)  # each exactly once


async def test_two_dispatchers_never_send_a_message_twice(
    outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    ids = [f"msg_{i}" for i in range(30)]
    for msg_id in ids:
        await outbox.add("requestor", msg_id, {})
    async with (
        WebhookClient(receiver.url, secret, name="requestor") as client,
        OutboxDispatcher(outbox, client, batch_size=4),
        OutboxDispatcher(outbox, client, batch_size=4),
    ):
        await receiver.wait_for(lambda: len(receiver.requests) >= len(ids))
    assert sorted(receiver.ids()) == sorted(ids)


async def test_messages_of_other_endpoints_are_left_alone(
    outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    await outbox.add("alerts", "msg_other", {})
    async with WebhookClient(receiver.url, secret, name="requestor") as client:
        dispatcher = OutboxDispatcher(outbox, client)
        assert await dispatcher.run_once() == 0
    assert (await outbox.get("msg_other")).state is MessageState.PENDING
    assert receiver.requests == []


async def test_a_message_added_while_a_delivery_is_out_leaves_at_once(
    outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    slow = 0.5
    receiver.script.append(Scripted(204, delay=slow))  # the first answer takes a while
    async with (
        WebhookClient(receiver.url, secret) as client,
        OutboxDispatcher(outbox, client, schedule=FAST),
    ):
        await outbox.add(client.endpoint, "msg_slow", {})
        await receiver.wait_for(lambda: len(receiver.requests) == 1)
        await outbox.add(client.endpoint, "msg_next", {})
        await receiver.wait_for(lambda: len(receiver.requests) == 2)
        first, second = receiver.requests
        assert (first.msg_id, second.msg_id) == ("msg_slow", "msg_next")
        assert second.at - first.at < slow / 2  # not behind the first one's answer
        await wait_until(lambda: _state_is(outbox, "msg_slow", MessageState.DELIVERED))
        await wait_until(lambda: _state_is(outbox, "msg_next", MessageState.DELIVERED))
