"""What the autoscaler learns from the runner's own hooks: finished jobs and busy time."""

from __future__ import annotations

import time
from collections.abc import Callable

from reportflow.queue.base import Job
from reportflow.runner.hooks import Outcome, RunnerHooks

#: Outcomes whose run time says how long a report takes; a lost or handed-back
#: attempt was cut short and would bias the service time down.
_MEASURED = frozenset({Outcome.SUCCEEDED, Outcome.FAILED, Outcome.TIMED_OUT})


class SignalHooks(RunnerHooks):
    """Counts finished jobs, their run time, and slot-seconds spent busy."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.completed = 0
        self.service_seconds = 0.0
        self._ended_busy = 0.0
        self._started: dict[str, float] = {}

    async def before_run(self, job: Job) -> None:
        self._started[job.id] = self.clock()

    async def after_run(self, job: Job, outcome: Outcome, error: BaseException | None) -> None:
        began = self._started.pop(job.id, None)
        if began is None:
            return
        spent = max(0.0, self.clock() - began)
        self._ended_busy += spent
        if outcome in _MEASURED:
            self.completed += 1
            self.service_seconds += spent

    def busy_seconds(self, now: float | None = None) -> float:
        """Slot-seconds busy so far, the jobs still running included."""
        at = self.clock() if now is None else now
        return self._ended_busy + sum(max(0.0, at - t) for t in self._started.values())
