"""WebhookSink: finals through the outbox, started/progress direct, progress throttled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from webhook_receiver import Receiver, Scripted, wait_until

from reportflow.runner.events import EventKind, ReportEvent
from reportflow.webhooks import (
    MessageState,
    Outbox,
    OutboxDispatcher,
    RetrySchedule,
    WebhookClient,
    WebhookSink,
)

pytestmark = pytest.mark.integration

FAST = RetrySchedule(delays=(0, 0.05), repeat_every=0.1, jitter=0)


def _event(kind: EventKind, job: str = "j1", attempt: int = 1, **data: object) -> ReportEvent:
    return ReportEvent(kind=kind, job_id=job, report="trial_balance", attempt=attempt, data=data)


def _of_type(receiver: Receiver, kind: str) -> list[Any]:
    return [r.json for r in receiver.requests if r.json["type"] == f"report.{kind}"]


async def test_final_events_go_through_the_outbox_with_stable_ids(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with (
        WebhookClient(receiver.url, secret) as client,
        OutboxDispatcher(sqlite_outbox, client, schedule=FAST),
    ):
        sink = WebhookSink(client, sqlite_outbox)
        done = _event(EventKind.SUCCEEDED, artifacts=["out.csv"])
        await sink.emit(done)
        await sink.emit(done)  # emitted again after a crash: same id, stored once
        await receiver.wait_for(lambda: len(receiver.requests) == 1)
        await sink.close()
    [got] = receiver.requests
    assert got.verified
    assert got.msg_id == "msg_j1_1_succeeded"
    body = got.json
    assert body["type"] == "report.succeeded"
    assert body["data"]["data"] == {"artifacts": ["out.csv"]}
    assert body["data"]["job_id"] == "j1"
    assert body["timestamp"].endswith("+00:00")
    [stored] = await sqlite_outbox.list_deliveries()
    assert (stored.id, stored.state) == ("msg_j1_1_succeeded", MessageState.DELIVERED)


async def test_progress_is_throttled_to_the_latest(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(receiver.url, secret) as client:
        sink = WebhookSink(client, sqlite_outbox, progress_interval=0.3)
        await sink.emit(_event(EventKind.STARTED))
        for pct in range(1, 41):
            await sink.emit(_event(EventKind.PROGRESS, percent=pct))
        await sink.drain()
    progress = [p["data"]["data"]["percent"] for p in _of_type(receiver, "progress")]
    # The first goes at once; the 39 that follow within the interval collapse
    # into the newest one, sent when the interval is over.
    assert progress == [1, 40]
    assert len(_of_type(receiver, "started")) == 1
    ids = [r.msg_id for r in receiver.requests]
    assert len(set(ids)) == len(ids)  # direct messages get fresh ids


async def test_a_final_event_drops_held_progress(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with (
        WebhookClient(receiver.url, secret) as client,
        OutboxDispatcher(sqlite_outbox, client, schedule=FAST),
    ):
        sink = WebhookSink(client, sqlite_outbox, progress_interval=0.3)
        await sink.emit(_event(EventKind.PROGRESS, percent=10))
        await sink.emit(_event(EventKind.PROGRESS, percent=90))  # held for 0.3 s
        await sink.emit(_event(EventKind.FAILED, error="boom", will_retry=False))
        await receiver.wait_for(lambda: len(_of_type(receiver, "failed")) == 1)
        await sink.drain()
    progress = [p["data"]["data"]["percent"] for p in _of_type(receiver, "progress")]
    assert progress == [10]


async def test_emit_never_raises_when_the_endpoint_is_down(
    sqlite_outbox: Outbox, down_receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(down_receiver.url, secret) as client:
        sink = WebhookSink(client, sqlite_outbox)
        await sink.emit(_event(EventKind.STARTED))
        await sink.emit(_event(EventKind.PROGRESS, percent=5))
        await sink.emit(_event(EventKind.CANCELLED))
        await sink.drain()
    [kept] = await sqlite_outbox.list_deliveries()
    assert (kept.id, kept.state) == ("msg_j1_1_cancelled", MessageState.PENDING)


async def test_connect_builds_a_sink_that_delivers_and_closes(
    tmp_path: Path, receiver: Receiver, secret: str
) -> None:
    url = f"sqlite:///{tmp_path / 'own.db'}"
    sink = await WebhookSink.connect(receiver.url, secret, url, schedule=FAST)
    await sink.emit(_event(EventKind.SUCCEEDED, job="j9", attempt=2))
    await receiver.wait_for(lambda: receiver.ids() == ["msg_j9_2_succeeded"])
    await sink.close()
    box = Outbox.from_url(url)

    async def delivered() -> bool:
        return (await box.get("msg_j9_2_succeeded")).state is MessageState.DELIVERED

    await wait_until(delivered)
    await box.close()


async def test_progress_waits_for_a_slow_started(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    slow = 0.3
    receiver.script.append(Scripted(204, delay=slow))  # the requestor is slow on started
    async with WebhookClient(receiver.url, secret) as client:
        sink = WebhookSink(client, sqlite_outbox, progress_interval=0.01)
        await sink.emit(_event(EventKind.STARTED))
        await sink.emit(_event(EventKind.PROGRESS, percent=10))
        # The script's slow answer goes to whichever request arrives first: j1's.
        await receiver.wait_for(lambda: len(receiver.requests) == 1)
        await sink.emit(_event(EventKind.STARTED, job="j2"))  # other jobs do not wait
        await sink.drain()
    by_kind = {(r.json["data"]["job_id"], r.json["type"]): r.at for r in receiver.requests}
    assert len(by_kind) == 3
    started, progress = by_kind["j1", "report.started"], by_kind["j1", "report.progress"]
    assert progress - started >= slow * 0.9  # sent only once started was answered
    assert by_kind["j2", "report.started"] - started < slow / 2
