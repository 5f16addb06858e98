"""What an executor gets while it runs one job, and the executor contract."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from reportflow.queue.base import Job
from reportflow.runner.events import EventKind, ReportEvent

if TYPE_CHECKING:
    # Only for annotations: importing reportflow.etl at run time loads the
    # whole ETL stack (Arrow, DuckDB, pandas, numba), seconds of start-up a
    # runner with another executor never needs.
    from reportflow.etl.contract import Progress

#: Minimum seconds between two PROGRESS events of one job; a change of stage
#: is always sent, so a fast report still shows every stage it went through.
DEFAULT_PROGRESS_INTERVAL = 0.5

Emit = Callable[[ReportEvent], Awaitable[None]]


class JobContext:
    """The running attempt: the job, who runs it, and how to report progress.

    Created by the pool for each attempt; executors only read it and call
    :meth:`progress` and :meth:`set_timeout`.
    """

    __slots__ = (
        "_emit",
        "_interval",
        "_last_at",
        "_last_stage",
        "_timeout",
        "job",
        "started_at",
        "timeout_seconds",
        "worker_id",
    )

    def __init__(
        self,
        job: Job,
        worker_id: str,
        emit: Emit,
        *,
        timeout: asyncio.Timeout | None = None,
        timeout_seconds: float | None = None,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
    ) -> None:
        self.job = job
        self.worker_id = worker_id
        self.started_at = asyncio.get_running_loop().time()
        self.timeout_seconds = timeout_seconds
        self._emit = emit
        self._timeout = timeout
        self._interval = progress_interval
        self._last_at = float("-inf")
        self._last_stage: str | None = None

    @property
    def attempt(self) -> int:
        """The 1-based number of this attempt."""
        return self.job.attempts

    def set_timeout(self, seconds: float | None) -> None:
        """Limit this attempt to ``seconds`` from its start (None: no limit).

        ``started_at`` is on the event loop's clock, as asyncio deadlines are.

        The executor calls this once it knows the report's own limit; the pool's
        default applies until then.
        """
        self.timeout_seconds = seconds
        if self._timeout is None:
            return
        self._timeout.reschedule(None if seconds is None else self.started_at + seconds)

    async def progress(self, stage: str, rows: int = 0, percent: float | None = None) -> None:
        """Report how far the run is; throttled, stage changes always go out."""
        now = time.monotonic()
        if stage == self._last_stage and now - self._last_at < self._interval:
            return
        self._last_stage = stage
        self._last_at = now
        data: dict[str, Any] = {"stage": stage, "rows": rows, "percent": percent}
        await self._emit(
            ReportEvent(
                kind=EventKind.PROGRESS,
                job_id=self.job.id,
                report=self.job.report,
                attempt=self.job.attempts,
                data=data,
                meta=self.job.meta,
            )
        )

    async def on_progress(self, progress: Progress) -> None:
        """:meth:`progress` in the shape of the ETL's ``ProgressCallback``."""
        await self.progress(progress.stage, progress.rows, progress.percent)


class Executor(Protocol):
    """Runs one attempt of one job and returns the result payload to store.

    Raise to fail the attempt: a ``CatalogError`` (unknown report, bad
    parameters, broken definition) or ``RowLimitError`` fails it for good,
    anything else is retried while attempts are left. The pool cancels the
    call on timeout, on a cancel request, on lease loss and at the end of a
    drain's grace period, so an executor must let ``CancelledError`` through.
    """

    async def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]: ...
