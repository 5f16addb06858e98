"""Close reports whose queue job ended without the runner telling the requestor.

A runner reports a job's end through its outbox, so normally the final event
arrives. Some ends have nobody to report them: a job whose lease expired on
its last attempt (the runner was SIGKILLed, or lost the machine) is moved to
``dead`` by the *next* claimer, which never ran it; a runner's outbox may be
gone with its disk. Without a reconciler such a report would show ``running``
forever.

Every ``interval`` the :class:`Reconciler` pages through in-flight reports
that have been quiet for ``grace`` seconds, asks the queue about each job, and
for a job that has been terminal for ``grace`` seconds applies the terminal
state through the same idempotent path as a webhook
(:func:`reportflow.requestor.receiver.apply`) under the synthetic id
``reconcile_<job>_<state>``. Whichever arrives first — the runner's event or
the reconciler's — decides; the other is stale or a duplicate, so the owner
sees one final event either way, and several requestors may reconcile at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from reportflow.errors import ReportflowError
from reportflow.queue.base import LEASE_EXPIRED_ERROR, TERMINAL_STATES, Job, JobState
from reportflow.requestor import receiver
from reportflow.requestor.services import Services
from reportflow.store import Phase, Report, reports

log = logging.getLogger("reportflow.requestor.reconciler")

DEFAULT_BATCH = 100
ID_PREFIX = "reconcile_"


def lost_reason(attempts: int) -> str:
    return f"runner lost the job after {attempts} attempt{'' if attempts == 1 else 's'}"


def terminal_event(report: Report, job: Job, now: float) -> receiver.RunnerEvent | None:
    """The event that closes ``report`` after its ``job`` ended, or None while it runs."""
    if job.state not in TERMINAL_STATES:
        return None
    # The job's end comes after every attempt the report has seen; after an
    # ended attempt (a failure that was to be retried) it is the next one.
    seen = report.attempt + (1 if report.phase >= Phase.ENDED else 0)
    attempt = max(job.attempts, seen)
    data: dict[str, Any]
    if job.state is JobState.SUCCEEDED:
        kind, result = "succeeded", job.result or {}
        data = {"artifacts": list(result.get("artifacts") or []), "rows": result.get("rows")}
    elif job.state is JobState.CANCELLED:
        kind, data = "cancelled", {"reason": "cancelled"}
    else:
        kind = "failed"
        lost = job.state is JobState.DEAD and job.error in (None, "", LEASE_EXPIRED_ERROR)
        error = lost_reason(job.attempts) if lost else job.error or "the report failed"
        data = {"error": error, "will_retry": False}
    return receiver.RunnerEvent(
        kind=kind,
        job_id=job.id,
        report=job.report,
        attempt=attempt,
        at=job.finished_at or now,
        data=data,
    )


class Reconciler:
    """The periodic task; use as an async context manager, or call :meth:`run_once`.

    Args:
        services: the requestor's store and queue.
        interval: seconds between passes (``0`` disables the task; ``run_once`` still works).
        grace: how long the report must have been quiet, and the job over,
            before the reconciler acts: time for the runner's own event to land.
        batch: reports looked at per pass; the scan resumes after the last one.
    """

    def __init__(
        self,
        services: Services,
        *,
        interval: float,
        grace: float,
        batch: int = DEFAULT_BATCH,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.services = services
        self.interval = interval
        self.grace = grace
        self.batch = batch
        self._clock = clock
        self._cursor = ""
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_services(cls, services: Services) -> Reconciler:
        """A reconciler configured from ``services.config`` (``[requestor]`` settings)."""
        config = services.config
        return cls(
            services,
            interval=config.reconcile_interval_seconds,
            grace=config.reconcile_grace_seconds,
        )

    async def run_once(self) -> list[receiver.Receipt]:
        """One pass over the next page of quiet in-flight reports; the receipts of closed ones."""
        now = self._clock()
        async with self.services.store.read() as db:
            page = await reports.list_quiet_in_flight(
                db, quiet_since=now - self.grace, after=self._cursor, limit=self.batch
            )
        # A short page means the scan reached the end: start over next time.
        self._cursor = page[-1].id if len(page) == self.batch else ""
        applied: list[receiver.Receipt] = []
        for report in page:
            receipt = await self._reconcile(report, now)
            if receipt is not None and receipt.outcome == "applied":
                applied.append(receipt)
        return applied

    async def _reconcile(self, report: Report, now: float) -> receiver.Receipt | None:
        job = await self.services.queue.get(report.id)
        if job is None or job.finished_at is None or now - job.finished_at < self.grace:
            return None
        event = terminal_event(report, job, now)
        if event is None:
            return None
        receipt = await receiver.apply(self.services, f"{ID_PREFIX}{job.id}_{job.state}", event)
        if receipt.outcome == "applied":
            log.warning(
                "report %s closed from its queue job: %s (%s)",
                report.id,
                job.state.value,
                event.data.get("error") or event.kind,
                extra={"report_id": report.id, "job_state": job.state.value},
            )
        return receipt

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except ReportflowError as exc:
                # The queue is down: the next pass tries again.
                log.error("reconciler pass failed: %s", exc)
            except Exception:
                # Never let one bad pass (a store outage, a bug) end the task.
                log.exception("reconciler pass failed")
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="reportflow-reconciler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
