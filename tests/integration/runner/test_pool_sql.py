"""The pool in-process on the durable queues: leases, cancels, retries, drains."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from reportflow.queue import Job, JobState, Queue, connect
from reportflow.runner import EventKind, JobContext, MemorySink, ReportEvent, Runner

pytestmark = pytest.mark.integration

WAIT = 20.0


class Sink(MemorySink):
    def __init__(self) -> None:
        super().__init__()
        self._changed = asyncio.Condition()

    async def emit(self, event: ReportEvent) -> None:
        await super().emit(event)
        async with self._changed:
            self._changed.notify_all()

    async def wait_final(self, count: int) -> None:
        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(lambda: sum(e.final for e in self.events) >= count)


class Script:
    """Sleeps ``seconds``, blocks with ``block``, fails the first ``fail_times`` attempts."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.started = asyncio.Event()

    async def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        self.calls.append((job.id, ctx.attempt))
        self.started.set()
        if job.params.get("block"):
            await asyncio.Event().wait()
        await asyncio.sleep(job.params.get("seconds", 0))
        if ctx.attempt <= job.params.get("fail_times", 0):
            raise RuntimeError(f"boom {ctx.attempt}")
        return {"rows": 1, "artifacts": []}


@pytest.fixture
async def queue(queue_url: str) -> AsyncIterator[Queue]:
    async with connect(queue_url) as q:
        yield q


@pytest.fixture
async def runners(queue: Queue) -> AsyncIterator[list[Runner]]:
    made: list[Runner] = []
    yield made
    for runner in made:
        await runner.drain(0)


def make(queue: Queue, script: Script, sink: Sink, runners: list[Runner], **kw: Any) -> Runner:
    options: dict[str, Any] = {
        "concurrency": 4,
        "lease_seconds": 1.0,
        "heartbeat_seconds": 0.3,
        "grace_seconds": 0.0,
        "poll_seconds": 0.2,
    }
    options.update(kw)
    runner = Runner(queue, script, sink=sink, **options)
    runners.append(runner)
    return runner


async def test_two_runners_share_the_work_and_long_jobs_keep_their_lease(
    queue: Queue, runners: list[Runner]
) -> None:
    script, sink = Script(), Sink()
    ids = [(await queue.enqueue("sleep", {"seconds": 2.5})).id for _ in range(4)]
    ids += [(await queue.enqueue("sleep", {"seconds": 0.1})).id for _ in range(12)]
    for _ in range(2):
        await make(queue, script, sink, runners).start()
    await sink.wait_final(16)
    # Lease 1 s, the long jobs ran 2.5 s: heartbeats kept them, each ran once.
    assert sorted(script.calls) == sorted((job_id, 1) for job_id in ids)
    assert all(sink.kinds(job_id)[-1] is EventKind.SUCCEEDED for job_id in ids)
    stats = await queue.stats()
    assert stats.depth[JobState.SUCCEEDED] == 16


async def test_cancel_and_retry_and_dead_letter(queue: Queue, runners: list[Runner]) -> None:
    script, sink = Script(), Sink()
    forever = await queue.enqueue("sleep", {"block": True})
    flaky = await queue.enqueue("sleep", {"fail_times": 9}, max_attempts=2)
    await make(queue, script, sink, runners).start()
    await script.started.wait()
    await queue.cancel(forever.id)
    await sink.wait_final(3)
    assert sink.kinds(forever.id) == [EventKind.STARTED, EventKind.CANCELLED]
    failed = [e.data for e in sink.events if e.job_id == flaky.id and e.final]
    assert [(d["will_retry"], d["state"]) for d in failed] == [(True, "queued"), (False, "dead")]
    assert (await queue.get(forever.id)).state is JobState.CANCELLED  # type: ignore[union-attr]
    assert (await queue.get(flaky.id)).state is JobState.DEAD  # type: ignore[union-attr]


async def test_drain_hands_back_without_counting_the_attempt(
    queue: Queue, runners: list[Runner]
) -> None:
    script, sink = Script(), Sink()
    job = await queue.enqueue("sleep", {"block": True})
    runner = make(queue, script, sink, runners)
    await runner.start()
    await script.started.wait()
    await runner.drain(grace=0.2)
    stored = await queue.get(job.id)
    assert stored is not None
    assert stored.state is JobState.QUEUED
    assert stored.attempts == 0
    assert sink.kinds(job.id) == [EventKind.STARTED]
