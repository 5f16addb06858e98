"""The pool against the in-memory queue: running, resizing, draining, leases."""

from __future__ import annotations

import asyncio

from runner_kit import WAIT, MakeRunner, RecordingSink, ScriptExecutor

from reportflow.queue import JobState
from reportflow.queue.memory import MemoryQueue
from reportflow.runner import EventKind, ReportEvent, RunnerHooks


async def test_runs_a_job_and_records_it(
    queue: MemoryQueue, make_runner: MakeRunner, sink: RecordingSink
) -> None:
    job = await queue.enqueue("noop", {"rows": 7}, meta={"owner": "ana"})
    await make_runner().start()
    await sink.wait_final(1)
    stored = await queue.get(job.id)
    assert stored is not None
    assert stored.state is JobState.SUCCEEDED
    assert stored.result == {"rows": 7, "artifacts": [{"key": f"{job.id}/out.csv"}]}
    assert sink.kinds(job.id) == [EventKind.STARTED, EventKind.SUCCEEDED]
    done = sink.events[-1]
    assert done.data["rows"] == 7
    assert done.data["artifacts"] == [{"key": f"{job.id}/out.csv"}]
    assert done.data["duration"] >= 0
    assert all(e.meta == {"owner": "ana"} and e.attempt == 1 for e in sink.events)


async def test_final_event_is_sent_after_the_queue_recorded_it(
    queue: MemoryQueue, make_runner: MakeRunner
) -> None:
    seen: list[JobState | None] = []

    class CheckingSink(RecordingSink):
        async def emit(self, event: ReportEvent) -> None:
            if event.final:
                job = await queue.get(event.job_id)
                seen.append(job.state if job else None)
            await super().emit(event)

    sink = CheckingSink()
    await queue.enqueue("noop", {})
    await queue.enqueue("noop", {"bad": True})
    await make_runner(sink=sink).start()
    await sink.wait_final(2)
    assert sorted(s.value for s in seen if s) == ["failed", "succeeded"]


async def test_a_failing_sink_never_fails_or_repeats_the_job(
    queue: MemoryQueue, make_runner: MakeRunner, executor: ScriptExecutor
) -> None:
    class BrokenSink:
        async def emit(self, event: ReportEvent) -> None:
            raise ConnectionError("requestor is down")

        async def close(self) -> None:
            return None

    finished = asyncio.Event()

    class Done(RunnerHooks):
        async def after_finish(self, job: object, state: JobState | None) -> None:
            finished.set()

    job = await queue.enqueue("noop", {})
    await make_runner(sink=BrokenSink(), hooks=[Done()]).start()
    async with asyncio.timeout(WAIT):
        await finished.wait()
    stored = await queue.get(job.id)
    assert stored is not None
    assert stored.state is JobState.SUCCEEDED
    assert executor.calls == [(job.id, 1)]


async def test_errors_are_retried_with_backoff_then_dead(
    queue: MemoryQueue, make_runner: MakeRunner, sink: RecordingSink
) -> None:
    job = await queue.enqueue("flaky", {"fail_times": 9}, max_attempts=2)
    await make_runner().start()
    await sink.wait_final(2)
    failed = [e for e in sink.events if e.kind is EventKind.FAILED]
    assert [(e.attempt, e.data["will_retry"], e.data["state"]) for e in failed] == [
        (1, True, "queued"),
        (2, False, "dead"),
    ]
    assert failed[1].data["error"] == "RuntimeError: boom on attempt 2"
    stored = await queue.get(job.id)
    assert stored is not None
    assert stored.state is JobState.DEAD


async def test_a_retry_that_succeeds_reports_one_success(
    queue: MemoryQueue, make_runner: MakeRunner, sink: RecordingSink
) -> None:
    job = await queue.enqueue("flaky", {"fail_times": 1}, max_attempts=3)
    await make_runner().start()
    await sink.wait_final(2)
    assert sink.kinds(job.id) == [
        EventKind.STARTED,
        EventKind.FAILED,
        EventKind.STARTED,
        EventKind.SUCCEEDED,
    ]
    assert [e.attempt for e in sink.events] == [1, 1, 2, 2]


async def test_bad_input_fails_without_retry(
    queue: MemoryQueue, make_runner: MakeRunner, sink: RecordingSink, executor: ScriptExecutor
) -> None:
    job = await queue.enqueue("typed", {"bad": True}, max_attempts=5)
    await make_runner().start()
    await sink.wait_final(1)
    event = sink.events[-1]
    assert event.kind is EventKind.FAILED
    assert event.data["will_retry"] is False
    assert event.data["state"] == "failed"
    assert event.data["error"] == "report 'typed': invalid parameters: year: must be an integer"
    assert executor.calls == [(job.id, 1)]


async def test_timeout_fails_the_attempt_without_retry(
    queue: MemoryQueue, make_runner: MakeRunner, sink: RecordingSink, executor: ScriptExecutor
) -> None:
    slow = await queue.enqueue("slow", {"sleep": 30}, max_attempts=3)
    limited = await queue.enqueue("slow", {"sleep": 30, "timeout": 0.1}, max_attempts=3)
    await make_runner(timeout_seconds=0.3).start()
    await sink.wait_final(2)
    by_job = {e.job_id: e for e in sink.events if e.final}
    assert by_job[slow.id].data["error"] == "report 'slow' timed out after 0.3s"
    assert by_job[limited.id].data["error"] == "report 'slow' timed out after 0.1s"
    for event in by_job.values():
        assert event.data["timed_out"] is True
        assert event.data["will_retry"] is False
    assert sorted(executor.cancelled) == sorted([slow.id, limited.id])


async def test_timeouts_can_be_retried_when_asked(
    queue: MemoryQueue, make_runner: MakeRunner, sink: RecordingSink
) -> None:
    await queue.enqueue("slow", {"sleep": 30}, max_attempts=2)
    await make_runner(timeout_seconds=0.1, retry_timeouts=True).start()
    await sink.wait_final(1)
    assert sink.events[-1].data["will_retry"] is True


async def test_cancel_stops_a_running_job(
    queue: MemoryQueue, make_runner: MakeRunner, sink: RecordingSink, executor: ScriptExecutor
) -> None:
    job = await queue.enqueue("forever", {"block": True})
    await make_runner(lease_seconds=2.0, heartbeat_seconds=0.1).start()
    await executor.wait_started(job.id)
    await queue.cancel(job.id)
    await sink.wait_final(1)
    assert sink.kinds(job.id) == [EventKind.STARTED, EventKind.CANCELLED]
    assert executor.cancelled == [job.id]
    stored = await queue.get(job.id)
    assert stored is not None
    assert stored.state is JobState.CANCELLED


async def test_heartbeats_keep_a_job_longer_than_its_lease(
    queue: MemoryQueue, make_runner: MakeRunner, sink: RecordingSink, executor: ScriptExecutor
) -> None:
    job = await queue.enqueue("long", {"sleep": 3.0})
    await make_runner(lease_seconds=1.0, heartbeat_seconds=0.3).start()
    # A second runner keeps trying to take the job for the whole run.
    await make_runner(lease_seconds=1.0, heartbeat_seconds=0.3, poll_seconds=0.1).start()
    await sink.wait_final(1)
    assert executor.calls == [(job.id, 1)]
    assert sink.kinds(job.id) == [EventKind.STARTED, EventKind.SUCCEEDED]


class StallingQueue(MemoryQueue):
    """A memory queue whose heartbeats hang while ``stalled`` (a network stall)."""

    def __init__(self) -> None:
        super().__init__()
        self.flowing = asyncio.Event()
        self.flowing.set()

    async def _heartbeat(
        self, worker: str, job_ids: list[str], lease: float, now: float
    ) -> dict[str, bool]:
        await self.flowing.wait()
        import time

        return await super()._heartbeat(worker, job_ids, lease, time.time())


async def test_a_lost_lease_abandons_the_job_silently(
    make_runner: MakeRunner, sink: RecordingSink, executor: ScriptExecutor
) -> None:
    queue = StallingQueue()
    job = await queue.enqueue("forever", {"block": True})
    finished: list[JobState | None] = []
    done = asyncio.Event()

    class Done(RunnerHooks):
        async def after_finish(self, job: object, state: JobState | None) -> None:
            finished.append(state)
            done.set()

    runner = make_runner(
        queue=queue, concurrency=1, lease_seconds=0.3, heartbeat_seconds=0.1, hooks=[Done()]
    )
    await runner.start()
    await executor.wait_started(job.id)
    queue.flowing.clear()
    await asyncio.sleep(0.5)  # let the lease run out while heartbeats hang
    [taken] = await queue.claim("thief", limit=1, lease_seconds=30)
    assert taken.attempts == 2
    queue.flowing.set()
    async with asyncio.timeout(WAIT):
        await done.wait()
    assert finished == [None]
    assert runner.busy == 0
    assert executor.cancelled == [job.id]
    assert sink.kinds(job.id) == [EventKind.STARTED]
    stored = await queue.get(job.id)
    assert stored is not None
    assert stored.state is JobState.RUNNING
    assert stored.worker == "thief"
