"""Lifecycle hooks: where metrics, autoscaler signals and tracing hang on the pool.

A :class:`RunnerHooks` subclass overrides only what it needs; every method of
the base is a no-op. For one job the pool calls, in this order::

    before_claim()                   once per claim round, before queue.claim
    after_claim(jobs)                with the jobs that round got (never empty)
    before_run(job)                  just before the STARTED event and the executor
    after_run(job, outcome, error)   the executor returned, raised, or was stopped
    after_finish(job, state)         after the queue recorded the outcome and the
                                     final event (if any) went to the sink

``on_resize(old, new, reason)`` is called whenever the target concurrency
changes. A hook that raises is logged and ignored: a broken metric must never
fail or repeat a report.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from reportflow.queue.base import Job, JobState

log = logging.getLogger("reportflow.runner")


class Outcome(StrEnum):
    """How an attempt ended, from the runner's point of view."""

    SUCCEEDED = "succeeded"  # the executor returned a result
    FAILED = "failed"  # the executor raised
    TIMED_OUT = "timed_out"  # the attempt ran past its time limit
    CANCELLED = "cancelled"  # stopped because someone asked to cancel the job
    LOST = "lost"  # the lease was lost; another runner owns the job now
    RELEASED = "released"  # stopped by a drain and handed back to the queue


class RunnerHooks:
    """No-op base for runner lifecycle hooks (override what you need)."""

    async def before_claim(self) -> None:
        """The pool is about to ask the queue for jobs."""

    async def after_claim(self, jobs: list[Job]) -> None:
        """The pool got ``jobs`` from one claim call."""

    async def before_run(self, job: Job) -> None:
        """``job`` is about to run (its slot is taken)."""

    async def after_run(self, job: Job, outcome: Outcome, error: BaseException | None) -> None:
        """The attempt ended with ``outcome``; ``error`` is what the executor raised."""

    async def after_finish(self, job: Job, state: JobState | None) -> None:
        """The queue recorded the attempt; ``state`` is the job's new state, or
        None when the runner no longer held the job (lease lost)."""

    async def on_resize(self, old: int, new: int, reason: str) -> None:
        """The target concurrency changed from ``old`` to ``new``."""


class HookChain(RunnerHooks):
    """Calls every hook in order; a hook that raises is logged and skipped."""

    def __init__(self, hooks: list[RunnerHooks]) -> None:
        self.hooks = hooks

    async def before_claim(self) -> None:
        for hook in self.hooks:
            try:
                await hook.before_claim()
            except Exception:
                _log_failure(hook, "before_claim")

    async def after_claim(self, jobs: list[Job]) -> None:
        for hook in self.hooks:
            try:
                await hook.after_claim(jobs)
            except Exception:
                _log_failure(hook, "after_claim")

    async def before_run(self, job: Job) -> None:
        for hook in self.hooks:
            try:
                await hook.before_run(job)
            except Exception:
                _log_failure(hook, "before_run")

    async def after_run(self, job: Job, outcome: Outcome, error: BaseException | None) -> None:
        for hook in self.hooks:
            try:
                await hook.after_run(job, outcome, error)
            except Exception:
                _log_failure(hook, "after_run")

    async def after_finish(self, job: Job, state: JobState | None) -> None:
        for hook in self.hooks:
            try:
                await hook.after_finish(job, state)
            except Exception:
                _log_failure(hook, "after_finish")

    async def on_resize(self, old: int, new: int, reason: str) -> None:
        for hook in self.hooks:
            try:
                await hook.on_resize(old, new, reason)
            except Exception:
                _log_failure(hook, "on_resize")


def _log_failure(hook: RunnerHooks, name: str) -> None:
    log.exception("runner hook %s.%s failed; ignored", type(hook).__name__, name)
