"""The queue contract every backend fills in.

A job moves through these states::

    queued ──claim──▶ running ──ack──▶ succeeded
      ▲                 │ │
      └──fail(retry)────┘ ├──fail(no attempts left)──▶ dead
         lease expiry ────┘  cancel ──▶ cancelled

The public methods on :class:`Queue` do the shared work (validation, timing,
wake-ups) and call a few ``_hooks`` that each backend implements. Backends are
chosen by URL scheme in :func:`reportflow.queue.connect`.
"""

from __future__ import annotations

import abc
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_LEASE_SECONDS = 30.0
DEFAULT_BACKOFF_BASE = 1.0
DEFAULT_BACKOFF_MAX = 300.0


class JobState(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"  # waiting to be claimed (possibly not before ``scheduled_at``)
    RUNNING = "running"  # claimed by a runner holding a lease
    SUCCEEDED = "succeeded"  # acked
    FAILED = "failed"  # failed for good by the caller's choice (no retry)
    DEAD = "dead"  # failed on its last attempt, or lease lost too often
    CANCELLED = "cancelled"  # cancelled before or while running


TERMINAL_STATES = frozenset(
    {JobState.SUCCEEDED, JobState.FAILED, JobState.DEAD, JobState.CANCELLED}
)


def new_job_id() -> str:
    """A sortable unique id (time-ordered hex)."""
    return f"{time.time_ns():x}{uuid.uuid4().hex[:12]}"


@dataclass(slots=True)
class Job:
    """One report request on the queue."""

    id: str
    report: str
    params: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    """Free-form data carried with the job (owner, formats, request id...)."""
    queue: str = "default"
    priority: int = 0
    """Higher runs first."""
    state: JobState = JobState.QUEUED
    attempts: int = 0
    """Claims so far; the running attempt's number while running."""
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    idempotency_key: str | None = None
    enqueued_at: float = 0.0
    scheduled_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    lease_until: float | None = None
    worker: str | None = None
    cancel_requested: bool = False
    result: dict[str, Any] | None = None
    error: str | None = None


@dataclass(slots=True, frozen=True)
class QueueStats:
    """A snapshot of one queue."""

    depth: Mapping[JobState, int]
    """Jobs per state (every state present, zero when none)."""
    oldest_wait_seconds: float
    """Age of the oldest claimable queued job, 0 when none."""


def retry_delay(
    attempt: int, *, base: float = DEFAULT_BACKOFF_BASE, maximum: float = DEFAULT_BACKOFF_MAX
) -> float:
    """Exponential backoff with full jitter for the given (1-based) attempt."""
    ceiling = min(maximum, base * (2 ** max(0, attempt - 1)))
    return random.uniform(ceiling / 2, ceiling)


class Queue(abc.ABC):
    """A durable job queue with leases.

    Every method is safe to call from many runner processes at once. A job is
    claimed by at most one runner at a time; a runner that stops renewing its
    lease loses the job, and it becomes claimable again (counting an attempt).
    """

    url: str

    # --- lifecycle -----------------------------------------------------
    @abc.abstractmethod
    async def connect(self) -> None:
        """Open connections and create the schema if needed. Idempotent."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release every connection. Idempotent."""

    async def __aenter__(self) -> Queue:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- producer side -------------------------------------------------
    @abc.abstractmethod
    async def enqueue(
        self,
        report: str,
        params: Mapping[str, Any] | None = None,
        *,
        queue: str = "default",
        priority: int = 0,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        idempotency_key: str | None = None,
        meta: Mapping[str, Any] | None = None,
        job_id: str | None = None,
        delay: float = 0.0,
        connection: Any = None,
    ) -> Job:
        """Add a job and wake a claimer.

        With ``idempotency_key``, when a job with the same key is still in
        flight (queued or running) that job is returned and nothing is added.
        ``connection`` (SQL backends) is the caller's open SQLAlchemy
        ``AsyncConnection``: the job is written inside the caller's
        transaction and becomes visible when it commits.
        """

    @abc.abstractmethod
    async def cancel(self, job_id: str) -> Job:
        """Cancel a job: a queued one becomes cancelled at once; a running one
        gets ``cancel_requested`` (its runner learns it on the next heartbeat
        and calls :meth:`ack_cancelled`). Terminal jobs are returned unchanged.

        Raises JobNotFoundError.
        """

    # --- consumer side -------------------------------------------------
    @abc.abstractmethod
    async def claim(
        self,
        worker: str,
        *,
        limit: int = 1,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        queues: tuple[str, ...] = ("default",),
    ) -> list[Job]:
        """Claim up to ``limit`` claimable jobs (queued and due, or running
        with an expired lease), highest priority first, then oldest. Each
        claim increments ``attempts``. A job whose lease expired on its last
        attempt is moved to ``dead`` instead of being handed out."""

    @abc.abstractmethod
    async def heartbeat(
        self, worker: str, job_ids: list[str], lease_seconds: float = DEFAULT_LEASE_SECONDS
    ) -> dict[str, bool]:
        """Extend the leases this worker holds.

        Returns ``{job_id: cancel_requested}`` for every job the worker still
        holds; a job missing from the answer was lost (lease expired and taken
        by someone else, or finished) and the runner must stop working on it.
        """

    @abc.abstractmethod
    async def ack(self, worker: str, job_id: str, result: Mapping[str, Any] | None = None) -> bool:
        """Mark a held job succeeded. False when the worker no longer holds it."""

    @abc.abstractmethod
    async def fail(
        self,
        worker: str,
        job_id: str,
        error: str,
        *,
        retry: bool = True,
        retry_in: float | None = None,
    ) -> JobState | None:
        """Record a failed attempt. With ``retry`` and attempts left the job is
        queued again after ``retry_in`` (default: :func:`retry_delay`);
        otherwise it becomes ``dead`` (retry wanted, none left) or ``failed``.
        Returns the new state, or None when the worker no longer holds it."""

    @abc.abstractmethod
    async def ack_cancelled(self, worker: str, job_id: str) -> bool:
        """The runner stopped a job whose cancel was requested."""

    @abc.abstractmethod
    async def release(self, worker: str, job_id: str) -> bool:
        """Hand a held job back untouched (graceful shutdown): queued again at
        once, and the attempt is not counted."""

    # --- wake-ups --------------------------------------------------------
    @abc.abstractmethod
    async def wait(self, timeout: float) -> None:
        """Return as soon as new work may be available, or after ``timeout``.

        Pushed where the backend can (LISTEN/NOTIFY, in-process event); the
        timeout is the poll fallback for producers in other processes.
        """

    # --- inspection ------------------------------------------------------
    @abc.abstractmethod
    async def get(self, job_id: str) -> Job | None:
        """The job, or None."""

    @abc.abstractmethod
    async def stats(self, queue: str = "default") -> QueueStats:
        """Depth per state and the oldest wait."""
