"""One attempt of one job: run the executor, record the outcome, emit events.

The order is fixed so receivers can rely on it: ``before_run`` hook, STARTED
event, the executor (PROGRESS events while it runs), ``after_run`` hook, the
queue call that records the outcome (ack / fail / ack_cancelled / release),
the final event — only once the queue has it —, then ``after_finish``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from reportflow.errors import CatalogError, ConfigError, ReportflowError, RowLimitError
from reportflow.queue.base import Job, JobState, Queue
from reportflow.runner.context import Executor, JobContext
from reportflow.runner.events import EventKind, EventSink, ReportEvent
from reportflow.runner.hooks import HookChain, Outcome

log = logging.getLogger("reportflow.runner")

#: Errors that will fail the same way on every attempt (bad parameters, an
#: unknown report or connection, a broken definition, too many rows): retrying
#: only delays telling the requestor what is wrong.
NO_RETRY_ERRORS: tuple[type[BaseException], ...] = (CatalogError, ConfigError, RowLimitError)


@dataclass(slots=True, frozen=True)
class AttemptSettings:
    """What every attempt of one pool shares."""

    queue: Queue
    executor: Executor
    sink: EventSink
    hooks: HookChain
    worker_id: str
    timeout_seconds: float | None
    retry_timeouts: bool
    progress_interval: float


class Attempt:
    """A running attempt; the pool keeps one per held job."""

    __slots__ = ("_finishing", "_s", "job", "stop_reason", "task")

    def __init__(self, job: Job, settings: AttemptSettings) -> None:
        self.job = job
        self._s = settings
        self.task: asyncio.Task[None] | None = None
        self.stop_reason: Outcome | None = None
        self._finishing = False

    def stop(self, reason: Outcome) -> None:
        """Cancel the executor for ``reason`` (cancel request, lost lease, drain).

        Ignored once the executor has returned: the outcome is being recorded.
        """
        if self._finishing or self.stop_reason is not None or self.task is None:
            return
        self.stop_reason = reason
        self.task.cancel()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcome, error, result, limit = await self._execute()
        self._finishing = True
        duration = loop.time() - started
        await self._s.hooks.after_run(self.job, outcome, error)
        state = await self._record(outcome, error, result, limit, duration)
        await self._s.hooks.after_finish(self.job, state)

    async def _execute(
        self,
    ) -> tuple[Outcome, BaseException | None, dict[str, Any] | None, float | None]:
        """Run the executor; returns (outcome, error, result, time limit)."""
        s = self._s
        loop = asyncio.get_running_loop()
        deadline = None if s.timeout_seconds is None else loop.time() + s.timeout_seconds
        timeout = asyncio.timeout_at(deadline)
        ctx = JobContext(
            self.job,
            s.worker_id,
            self.emit,
            timeout=timeout,
            timeout_seconds=s.timeout_seconds,
            progress_interval=s.progress_interval,
        )
        try:
            await s.hooks.before_run(self.job)
            await self.emit(self._event(EventKind.STARTED, {"worker": s.worker_id}))
            async with timeout:
                result = await s.executor(self.job, ctx)
        except asyncio.CancelledError:
            if self.stop_reason is None:
                raise  # not ours: the whole process is going down
            _uncancel()
            return self.stop_reason, None, None, None
        except TimeoutError as exc:
            outcome = Outcome.TIMED_OUT if timeout.expired() else Outcome.FAILED
            return outcome, exc, None, ctx.timeout_seconds
        except Exception as exc:
            return Outcome.FAILED, exc, None, None
        if self.stop_reason is not None:
            # The executor swallowed our cancellation and returned anyway.
            _uncancel()
            return self.stop_reason, None, None, None
        return Outcome.SUCCEEDED, None, result, None

    async def _record(
        self,
        outcome: Outcome,
        error: BaseException | None,
        result: dict[str, Any] | None,
        limit: float | None,
        duration: float,
    ) -> JobState | None:
        """Tell the queue, then the sink. Returns the job's new state, or None
        when the runner no longer holds the job (or the queue failed)."""
        q, worker, job_id = self._s.queue, self._s.worker_id, self.job.id
        try:
            if outcome is Outcome.SUCCEEDED:
                payload = result or {}
                if not await q.ack(worker, job_id, payload):
                    return self._lost("ack")
                data = {
                    "artifacts": payload.get("artifacts", []),
                    "rows": payload.get("rows"),
                    "duration": duration,
                }
                await self.emit(self._event(EventKind.SUCCEEDED, data))
                return JobState.SUCCEEDED
            if outcome in (Outcome.FAILED, Outcome.TIMED_OUT):
                return await self._record_failure(outcome, error, limit, duration)
            if outcome is Outcome.CANCELLED:
                if not await q.ack_cancelled(worker, job_id):
                    return self._lost("ack_cancelled")
                await self.emit(self._event(EventKind.CANCELLED, {"duration": duration}))
                return JobState.CANCELLED
            if outcome is Outcome.RELEASED:
                return JobState.QUEUED if await q.release(worker, job_id) else None
            return None  # LOST: the new owner reports; we say nothing
        except ReportflowError as exc:
            log.error("runner %s: recording job %s failed: %s", worker, job_id, exc)
        except Exception:
            log.exception("runner %s: recording job %s failed", worker, job_id)
        return None

    async def _record_failure(
        self, outcome: Outcome, error: BaseException | None, limit: float | None, duration: float
    ) -> JobState | None:
        if outcome is Outcome.TIMED_OUT:
            message = f"report {self.job.report!r} timed out after {limit:g}s"
            retry = self._s.retry_timeouts
        else:
            message = describe(error)
            retry = not isinstance(error, NO_RETRY_ERRORS)
        state = await self._s.queue.fail(self._s.worker_id, self.job.id, message, retry=retry)
        if state is None:
            return self._lost("fail")
        data = {
            "error": message,
            "will_retry": state is JobState.QUEUED,
            "state": state.value,
            "timed_out": outcome is Outcome.TIMED_OUT,
            "duration": duration,
        }
        await self.emit(self._event(EventKind.FAILED, data))
        return state

    def _lost(self, call: str) -> JobState | None:
        log.warning(
            "runner %s no longer holds job %s (%s refused); another runner owns it",
            self._s.worker_id,
            self.job.id,
            call,
            extra={"job_id": self.job.id, "worker": self._s.worker_id},
        )
        return None

    def _event(self, kind: EventKind, data: dict[str, Any]) -> ReportEvent:
        return ReportEvent(
            kind=kind,
            job_id=self.job.id,
            report=self.job.report,
            attempt=self.job.attempts,
            data=data,
            meta=self.job.meta,
        )

    async def emit(self, event: ReportEvent) -> None:
        """Send to the sink; a sink failure is logged, never fails the job."""
        try:
            await self._s.sink.emit(event)
        except Exception:
            log.exception(
                "runner: event sink failed on %s for job %s; ignored", event.kind, event.job_id
            )


def describe(error: BaseException | None) -> str:
    """The one-line failure reason stored on the job and sent in FAILED."""
    if error is None:
        return "failed"
    text = str(error).strip()
    if not isinstance(error, ReportflowError):
        text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return " ".join(text.split()) or type(error).__name__


def _uncancel() -> None:
    # We consumed a cancellation we asked for; clear it so later awaits in this
    # task (recording the outcome) are not treated as cancelled.
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()
