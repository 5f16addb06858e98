"""WebhookSink(quiet_start=True): a job's first progress waits one interval after started."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from webhook_receiver import Receiver

from reportflow.runner.events import EventKind, ReportEvent
from reportflow.webhooks import Outbox, WebhookClient, WebhookSink

pytestmark = pytest.mark.integration


def _event(kind: EventKind, job: str = "j1", **data: object) -> ReportEvent:
    return ReportEvent(kind=kind, job_id=job, report="noop", attempt=1, data=data)


def _progress(receiver: Receiver, job: str = "j1") -> list[Any]:
    return [
        r.json["data"]["data"]["percent"]
        for r in receiver.requests
        if r.json["type"] == "report.progress" and r.json["data"]["job_id"] == job
    ]


async def test_a_short_job_sends_no_progress(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(receiver.url, secret) as client:
        sink = WebhookSink(client, sqlite_outbox, progress_interval=0.5, quiet_start=True)
        await sink.emit(_event(EventKind.STARTED))
        await sink.emit(_event(EventKind.PROGRESS, percent=50))
        await sink.emit(_event(EventKind.SUCCEEDED))  # within the interval: supersedes it
        await sink.drain()
    assert _progress(receiver) == []
    assert [r.json["type"] for r in receiver.requests] == ["report.started"]
    [stored] = await sqlite_outbox.list_deliveries()
    assert stored.id == "msg_j1_1_succeeded"


async def test_a_long_job_sends_its_latest_progress_after_the_interval(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(receiver.url, secret) as client:
        sink = WebhookSink(client, sqlite_outbox, progress_interval=0.2, quiet_start=True)
        await sink.emit(_event(EventKind.STARTED))
        for pct in (10, 20, 30):
            await sink.emit(_event(EventKind.PROGRESS, percent=pct))
        await sink.drain()
    by_type = {r.json["type"]: r.at for r in receiver.requests}
    assert _progress(receiver) == [30]
    assert by_type["report.progress"] - by_type["report.started"] >= 0.15


async def test_without_quiet_start_the_first_progress_goes_at_once(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(receiver.url, secret) as client:
        sink = WebhookSink(client, sqlite_outbox, progress_interval=0.5)
        await sink.emit(_event(EventKind.STARTED))
        await sink.emit(_event(EventKind.PROGRESS, percent=50))
        await sink.emit(_event(EventKind.SUCCEEDED))
        await sink.drain()
    assert _progress(receiver) == [50]


def _kinds(receiver: Receiver) -> list[str]:
    return [r.json["type"] for r in receiver.requests]


async def test_hold_started_drops_the_started_of_a_job_done_within_the_hold(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(receiver.url, secret) as client:
        sink = WebhookSink(client, sqlite_outbox, hold_started=0.2)
        await sink.emit(_event(EventKind.STARTED))
        await sink.emit(_event(EventKind.SUCCEEDED))  # done within the hold
        await sink.drain()
    assert _kinds(receiver) == []  # the final event alone, through the sqlite_outbox
    [stored] = await sqlite_outbox.list_deliveries()
    assert stored.id == "msg_j1_1_succeeded"


async def test_hold_started_sends_the_started_of_a_longer_job_after_the_hold(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(receiver.url, secret) as client:
        sink = WebhookSink(client, sqlite_outbox, hold_started=0.2)
        await sink.emit(_event(EventKind.STARTED))
        await asyncio.sleep(0.1)
        assert _kinds(receiver) == []  # still held
        await receiver.wait_for(lambda: _kinds(receiver) == ["report.started"], timeout=1.0)
        await sink.drain()


async def test_a_progress_sends_the_held_started_first(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(receiver.url, secret) as client:
        sink = WebhookSink(client, sqlite_outbox, hold_started=5.0, progress_interval=0.01)
        await sink.emit(_event(EventKind.STARTED))
        await sink.emit(_event(EventKind.PROGRESS, percent=10))
        await sink.drain()
    assert _kinds(receiver) == ["report.started", "report.progress"]


async def test_a_progress_held_by_quiet_start_keeps_the_started_held(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(receiver.url, secret) as client:
        sink = WebhookSink(
            client, sqlite_outbox, hold_started=0.2, progress_interval=0.5, quiet_start=True
        )
        await sink.emit(_event(EventKind.STARTED))
        await sink.emit(_event(EventKind.PROGRESS, percent=10))  # held: within the interval
        await sink.emit(_event(EventKind.SUCCEEDED))  # supersedes both
        await sink.drain()
    assert _kinds(receiver) == []  # the final event alone, through the sqlite_outbox
    [stored] = await sqlite_outbox.list_deliveries()
    assert stored.id == "msg_j1_1_succeeded"


async def test_drain_waits_for_a_held_started(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(receiver.url, secret) as client:
        sink = WebhookSink(client, sqlite_outbox, hold_started=0.2)
        await sink.emit(_event(EventKind.STARTED))
        await sink.drain()  # returns once the hold is over and the started is out
        assert _kinds(receiver) == ["report.started"]


async def test_what_a_final_event_supersedes_is_not_waited_for(
    sqlite_outbox: Outbox, receiver: Receiver, secret: str
) -> None:
    async with WebhookClient(receiver.url, secret) as client:
        sink = WebhookSink(
            client, sqlite_outbox, hold_started=30.0, progress_interval=30.0, quiet_start=True
        )
        for job in ("j1", "j2"):
            await sink.emit(_event(EventKind.STARTED, job))
            await sink.emit(_event(EventKind.PROGRESS, job, percent=10))
        await sink.emit(_event(EventKind.SUCCEEDED, "j1"))
        await sink.emit(_event(EventKind.CANCELLED, "j2"))
        async with asyncio.timeout(5):  # the holds (30 s) were dropped, not left to run out
            await sink.drain()
    assert _kinds(receiver) == []
    assert sorted(d.id for d in await sqlite_outbox.list_deliveries()) == [
        "msg_j1_1_succeeded",
        "msg_j2_1_cancelled",
    ]
