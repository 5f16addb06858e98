"""Runner and report metrics, hung on the pool's lifecycle hooks.

:class:`MetricsHooks` keeps the per-worker gauges (busy slots, slots, target
concurrency) and observes each attempt: its queue wait when it starts, its
duration and outcome when it ends, and the target after every resize.
:class:`MeteredExecutor` wraps an executor to count the artifact bytes its
results report, since hooks never see results.

The hooks count their own busy slots rather than reading the pool, so one
object can be built before the :class:`~reportflow.runner.pool.Runner` it
watches (``build_runner`` passes the same ``worker_id`` to both).
"""

from __future__ import annotations

import time
from typing import Any

from reportflow.metrics import (
    ARTIFACT_BYTES,
    QUEUE_WAIT,
    REPORT_DURATION,
    REPORTS_COMPLETED,
    RUNNER_CONCURRENCY_TARGET,
    RUNNER_SLOTS_BUSY,
    RUNNER_SLOTS_TOTAL,
)
from reportflow.queue.base import Job, JobState
from reportflow.runner.context import Executor, JobContext
from reportflow.runner.hooks import Outcome, RunnerHooks


class MetricsHooks(RunnerHooks):
    """Exports one runner's slots and its reports' waits, durations and outcomes.

    Args:
        worker: the runner's ``worker_id`` (the ``worker`` label).
        concurrency: the runner's starting target.
    """

    def __init__(self, worker: str, concurrency: int) -> None:
        self.worker = worker
        self._target = concurrency
        self._busy = 0
        self._started: dict[str, float] = {}
        RUNNER_CONCURRENCY_TARGET.labels(worker).set(concurrency)
        self._publish_slots()

    async def before_run(self, job: Job) -> None:
        now = time.time()
        # From when the job became claimable (a retry's backoff is not waiting),
        # to the claim; a lease-expiry re-claim counts from its original schedule.
        claimed = job.started_at if job.started_at is not None else now
        QUEUE_WAIT.labels(job.report).observe(max(0.0, claimed - job.scheduled_at))
        self._started[job.id] = time.perf_counter()
        self._busy += 1
        self._publish_slots()

    async def after_run(self, job: Job, outcome: Outcome, error: BaseException | None) -> None:
        started = self._started.pop(job.id, None)
        if started is not None:
            REPORT_DURATION.labels(job.report).observe(time.perf_counter() - started)
        REPORTS_COMPLETED.labels(job.report, outcome.value).inc()

    async def after_finish(self, job: Job, state: JobState | None) -> None:
        # The slot is free only once the queue has the outcome, as in the pool.
        self._busy = max(0, self._busy - 1)
        self._publish_slots()

    async def on_resize(self, old: int, new: int, reason: str) -> None:
        # reportflow_scale_actions_total is counted by the scale hook and the
        # autoscaler (reportflow.runner.scale), which know a bounded reason
        # label; the free-text ``reason`` here would make one series per alert.
        self._target = new
        RUNNER_CONCURRENCY_TARGET.labels(self.worker).set(new)
        self._publish_slots()

    def _publish_slots(self) -> None:
        RUNNER_SLOTS_BUSY.labels(self.worker).set(self._busy)
        # After a shrink, running reports keep their slots until they finish.
        RUNNER_SLOTS_TOTAL.labels(self.worker).set(max(self._target, self._busy))


class MeteredExecutor:
    """Wraps an executor and adds the size of each artifact in its result to
    ``reportflow_artifact_bytes_total{format}``."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner

    async def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        result = await self.inner(job, ctx)
        count_artifacts(result)
        return result


def count_artifacts(result: dict[str, Any] | None) -> int:
    """Add the artifacts listed in an executor result to the byte counter; returns the bytes."""
    total = 0
    for artifact in (result or {}).get("artifacts", []) or []:
        if not isinstance(artifact, dict):
            continue
        size = artifact.get("size")
        if isinstance(size, int) and size >= 0:
            ARTIFACT_BYTES.labels(str(artifact.get("format", "unknown"))).inc(size)
            total += size
    return total
