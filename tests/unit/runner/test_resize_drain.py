"""Resizing at run time and draining (the SIGTERM path)."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from runner_kit import WAIT, MakeRunner, RecordingSink, ScriptExecutor

from reportflow.errors import RunnerError
from reportflow.queue import Job, JobState
from reportflow.queue.memory import MemoryQueue
from reportflow.runner import EventKind, Runner, RunnerHooks


class ClaimCounter(RunnerHooks):
    def __init__(self) -> None:
        self.rounds = 0

    async def before_claim(self) -> None:
        self.rounds += 1


async def test_growing_claims_at_once(
    queue: MemoryQueue, make_runner: MakeRunner, executor: ScriptExecutor
) -> None:
    jobs = [await queue.enqueue("gated", {"gate": "g"}) for _ in range(3)]
    # A long poll interval: only the resize itself can wake the claimer in time.
    runner = make_runner(concurrency=1, poll_seconds=30.0)
    await runner.start()
    await executor.wait_started(jobs[0].id)
    assert runner.busy == 1
    await runner.resize(3)
    async with asyncio.timeout(1.0):
        for job in jobs[1:]:
            await executor.started(job.id).wait()
    assert runner.busy == 3
    assert runner.concurrency == 3


async def test_shrinking_lets_running_jobs_finish(
    queue: MemoryQueue, make_runner: MakeRunner, executor: ScriptExecutor, sink: RecordingSink
) -> None:
    first = [await queue.enqueue("gated", {"gate": "first"}) for _ in range(4)]
    rest = [await queue.enqueue("quick", {"sleep": 0.02}) for _ in range(6)]
    runner = make_runner(concurrency=4)
    await runner.start()
    for job in first:
        await executor.wait_started(job.id)
    await runner.resize(1)
    assert runner.busy == 4  # nothing was killed
    assert runner.concurrency == 1
    executor.peak = executor.running
    executor.open("first")
    await sink.wait_final(10)
    assert executor.cancelled == []
    assert all(e.kind is not EventKind.FAILED for e in sink.events)
    # Once the four old jobs were done, the rest ran one at a time.
    later = {j.id for j in rest}
    starts = [e for e in sink.events if e.kind is EventKind.STARTED and e.job_id in later]
    finishes = {e.job_id: e.at for e in sink.events if e.kind is EventKind.SUCCEEDED}
    for before, after in itertools.pairwise(starts):
        assert finishes[before.job_id] <= after.at


async def test_shrink_to_zero_pauses_and_growing_resumes(
    queue: MemoryQueue, make_runner: MakeRunner, sink: RecordingSink
) -> None:
    counter = ClaimCounter()
    runner = make_runner(concurrency=0, hooks=[counter], poll_seconds=30.0)
    await runner.start()
    job = await queue.enqueue("noop", {})
    await asyncio.sleep(0.2)
    assert counter.rounds == 0
    assert (await queue.get(job.id)).state is JobState.QUEUED  # type: ignore[union-attr]
    await runner.resize(2, reason="test")
    await sink.wait_final(1)


async def test_a_full_pool_does_not_poll(
    queue: MemoryQueue, make_runner: MakeRunner, executor: ScriptExecutor
) -> None:
    held = [await queue.enqueue("gated", {"gate": "g"}) for _ in range(2)]
    for _ in range(5):
        await queue.enqueue("noop", {})
    counter = ClaimCounter()
    runner = make_runner(concurrency=2, hooks=[counter], poll_seconds=0.01)
    await runner.start()
    for job in held:
        await executor.wait_started(job.id)
    rounds = counter.rounds
    await asyncio.sleep(0.5)
    assert counter.rounds == rounds


async def test_drain_finishes_within_grace_and_hands_back_the_rest(
    queue: MemoryQueue, make_runner: MakeRunner, executor: ScriptExecutor, sink: RecordingSink
) -> None:
    quick = await queue.enqueue("quick", {"sleep": 0.2})
    stuck = await queue.enqueue("stuck", {"block": True})
    waiting = await queue.enqueue("later", {})
    runner = make_runner(concurrency=2)
    await runner.start()
    await executor.wait_started(quick.id)
    await executor.wait_started(stuck.id)
    async with asyncio.timeout(WAIT):
        await runner.drain(grace=1.0)
    assert sink.kinds(quick.id) == [EventKind.STARTED, EventKind.SUCCEEDED]
    assert sink.kinds(stuck.id) == [EventKind.STARTED]  # handed back: nothing final
    assert executor.cancelled == [stuck.id]
    handed = await queue.get(stuck.id)
    assert handed is not None
    assert handed.state is JobState.QUEUED
    assert handed.attempts == 0  # the interrupted attempt does not count
    untouched = await queue.get(waiting.id)
    assert untouched is not None
    assert untouched.state is JobState.QUEUED
    assert runner.busy == 0


async def test_drain_returns_early_when_jobs_finish(
    queue: MemoryQueue, make_runner: MakeRunner, executor: ScriptExecutor
) -> None:
    job = await queue.enqueue("quick", {"sleep": 0.1})
    runner = make_runner()
    await runner.start()
    await executor.wait_started(job.id)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await runner.drain(grace=20.0)
    assert loop.time() - began < 2.0
    stored = await queue.get(job.id)
    assert stored is not None
    assert stored.state is JobState.SUCCEEDED


async def test_second_drain_with_zero_grace_cuts_the_wait_short(
    queue: MemoryQueue, make_runner: MakeRunner, executor: ScriptExecutor
) -> None:
    job = await queue.enqueue("stuck", {"block": True})
    runner = make_runner()
    await runner.start()
    await executor.wait_started(job.id)
    first = asyncio.create_task(runner.drain(grace=30.0))
    await asyncio.sleep(0.1)
    async with asyncio.timeout(2.0):
        await runner.drain(0)
        await first
    stored = await queue.get(job.id)
    assert stored is not None
    assert stored.state is JobState.QUEUED


async def test_jobs_claimed_during_a_drain_are_handed_back(queue: MemoryQueue) -> None:
    class SlowClaimQueue(MemoryQueue):
        def __init__(self) -> None:
            super().__init__()
            self.claiming = asyncio.Event()

        async def _claim(
            self, worker: str, limit: int, lease: float, queues: tuple[str, ...], now: float
        ) -> list[Job]:
            self.claiming.set()
            await asyncio.sleep(0.2)
            return await super()._claim(worker, limit, lease, queues, now)

    slow = SlowClaimQueue()
    job = await slow.enqueue("noop", {})

    async def never(job: Job, ctx: object) -> dict[str, object]:
        raise AssertionError("must not run during a drain")

    runner = Runner(slow, never, concurrency=1, heartbeat_seconds=1, lease_seconds=5)
    await runner.start()
    await slow.claiming.wait()
    await runner.drain(grace=5)
    stored = await slow.get(job.id)
    assert stored is not None
    assert stored.state is JobState.QUEUED
    assert stored.attempts == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"concurrency": -1}, "concurrency must be a whole number >= 0, got -1"),
        ({"heartbeat_seconds": 5, "lease_seconds": 5}, "heartbeat_seconds must be > 0"),
        ({"lease_seconds": 0}, "lease_seconds must be > 0, got 0"),
        ({"claim_batch": 0}, "claim_batch must be >= 1, got 0"),
        ({"timeout_seconds": 0}, "timeout_seconds must be > 0 or None, got 0"),
    ],
)
def test_bad_settings_name_the_culprit(
    queue: MemoryQueue, executor: ScriptExecutor, options: dict[str, float], message: str
) -> None:
    with pytest.raises(RunnerError, match="^" + message.replace("(", r"\(")):
        Runner(queue, executor, **options)  # type: ignore[arg-type]


async def test_misuse_is_refused(make_runner: MakeRunner) -> None:
    runner = make_runner()
    await runner.start()
    with pytest.raises(RunnerError, match="was already started"):
        await runner.start()
    with pytest.raises(RunnerError, match="got -3"):
        await runner.resize(-3)
    with pytest.raises(RunnerError, match=r"got 2\.5"):
        await runner.resize(2.5)  # type: ignore[arg-type]
