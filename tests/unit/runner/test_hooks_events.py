"""Hook order, event order and progress throttling."""

from __future__ import annotations

import asyncio

from runner_kit import MakeRunner, RecordingSink, ScriptExecutor

from reportflow.queue import Job, JobState
from reportflow.queue.memory import MemoryQueue
from reportflow.runner import EventKind, JobContext, Outcome, ReportEvent, RunnerHooks


class Journal(RunnerHooks, RecordingSink):
    """Hooks and sink in one, so both land in one ordered log."""

    def __init__(self) -> None:
        RecordingSink.__init__(self)
        self.log: list[str] = []

    async def emit(self, event: ReportEvent) -> None:
        self.log.append(f"event:{event.kind.value}")
        await super().emit(event)

    async def before_claim(self) -> None:
        self.log.append("before_claim")

    async def after_claim(self, jobs: list[Job]) -> None:
        self.log.append(f"after_claim:{len(jobs)}")

    async def before_run(self, job: Job) -> None:
        self.log.append("before_run")

    async def after_run(self, job: Job, outcome: Outcome, error: BaseException | None) -> None:
        self.log.append(f"after_run:{outcome.value}:{type(error).__name__}")

    async def after_finish(self, job: Job, state: JobState | None) -> None:
        self.log.append(f"after_finish:{state}")

    async def on_resize(self, old: int, new: int, reason: str) -> None:
        self.log.append(f"on_resize:{old}->{new}:{reason}")


async def test_hooks_and_events_come_in_order(queue: MemoryQueue, make_runner: MakeRunner) -> None:
    journal = Journal()
    await queue.enqueue("noop", {"steps": 1})
    runner = make_runner(concurrency=1, sink=journal, hooks=[journal], poll_seconds=30.0)
    await runner.start()
    await journal.wait_final(1)
    await runner.resize(3, reason="alert")
    assert journal.log[:8] == [
        "before_claim",
        "after_claim:1",
        "before_run",
        "event:started",
        "event:progress",
        "after_run:succeeded:NoneType",
        "event:succeeded",
        "after_finish:succeeded",
    ]
    assert journal.log[-1] == "on_resize:1->3:alert"


async def test_failure_hooks_see_the_error_and_new_state(
    queue: MemoryQueue, make_runner: MakeRunner
) -> None:
    journal = Journal()
    await queue.enqueue("typed", {"bad": True})
    await make_runner(sink=journal, hooks=[journal]).start()
    await journal.wait_final(1)
    assert "after_run:failed:ParameterError" in journal.log
    assert journal.log.index("event:failed") < journal.log.index("after_finish:failed")


async def test_a_broken_hook_is_ignored(
    queue: MemoryQueue, make_runner: MakeRunner, sink: RecordingSink
) -> None:
    class Broken(RunnerHooks):
        async def before_run(self, job: Job) -> None:
            raise ValueError("metrics backend down")

        async def after_finish(self, job: Job, state: JobState | None) -> None:
            raise ValueError("metrics backend down")

    job = await queue.enqueue("noop", {})
    await make_runner(hooks=[Broken()]).start()
    await sink.wait_final(1)
    assert sink.kinds(job.id) == [EventKind.STARTED, EventKind.SUCCEEDED]


async def test_progress_is_throttled_but_every_stage_shows(
    queue: MemoryQueue, make_runner: MakeRunner, sink: RecordingSink
) -> None:
    job = await queue.enqueue("noop", {"steps": 50})
    await make_runner(progress_interval=60.0).start()
    await sink.wait_final(1)
    progress = [e.data for e in sink.events if e.kind is EventKind.PROGRESS]
    assert progress == [
        {"stage": "extract", "rows": 0, "percent": None},
        {"stage": "render", "rows": 5, "percent": None},
    ]
    assert all(e.job_id == job.id for e in sink.events)


async def test_progress_flows_at_the_interval(
    queue: MemoryQueue, make_runner: MakeRunner, sink: RecordingSink
) -> None:
    async def ticking(job: Job, ctx: JobContext) -> dict[str, object]:
        for rows in range(6):
            await ctx.progress("extract", rows=rows, percent=rows * 10.0)
            await asyncio.sleep(0.06)
        return {"rows": 6}

    await queue.enqueue("ticking", {})
    await make_runner(executor=ticking, progress_interval=0.1).start()
    await sink.wait_final(1)
    rows = [e.data["rows"] for e in sink.events if e.kind is EventKind.PROGRESS]
    assert 2 <= len(rows) <= 4
    assert rows == sorted(rows)


async def test_a_thousand_io_bound_jobs_run_together(
    queue: MemoryQueue, make_runner: MakeRunner, executor: ScriptExecutor, sink: RecordingSink
) -> None:
    for _ in range(1000):
        await queue.enqueue("wait", {"sleep": 0.5})
    loop = asyncio.get_running_loop()
    began = loop.time()
    await make_runner(concurrency=1000, claim_batch=1000).start()
    await sink.wait_final(1000)
    assert loop.time() - began < 3.0
    assert executor.peak == 1000
    stats = await queue.stats()
    assert stats.depth[JobState.SUCCEEDED] == 1000
