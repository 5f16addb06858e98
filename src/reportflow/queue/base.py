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

from reportflow.queue import checks

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

    A worker *holds* a job while the job is ``running`` with that worker's
    name on it; ``ack``/``fail``/``release``/``ack_cancelled``/``heartbeat``
    only act on held jobs, so a runner that lost a job (lease expired and the
    job was claimed by another runner, or moved to ``dead``) cannot record an
    outcome for it: success is recorded exactly once.

    The public methods check their arguments (raising
    :class:`~reportflow.errors.QueueError` with one line naming the culprit)
    and call the ``_hooks`` below, which each backend fills in.
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
        flight (queued or running) on the same queue, that job is returned and
        nothing is added; once it is finished a new job may use the key.
        ``connection`` (SQL backends) is the caller's open SQLAlchemy
        ``AsyncConnection``: the job is written inside the caller's
        transaction and becomes visible (and wakes claimers) when it commits.

        Raises QueueError for bad arguments or when the backend fails.
        """
        now = time.time()
        job = Job(
            id=checks.optional_name("job_id", job_id) or new_job_id(),
            report=checks.name("report", report),
            params=checks.json_object("params", params),
            meta=checks.json_object("meta", meta),
            queue=checks.name("queue", queue),
            priority=checks.integer("priority", priority),
            max_attempts=checks.integer("max_attempts", max_attempts, minimum=1),
            idempotency_key=checks.optional_name("idempotency_key", idempotency_key),
            enqueued_at=now,
            scheduled_at=now + checks.seconds("delay", delay, allow_zero=True),
        )
        return await self._enqueue(job, connection)

    async def cancel(self, job_id: str) -> Job:
        """Cancel a job: a queued one becomes cancelled at once; a running one
        gets ``cancel_requested`` (its runner learns it on the next heartbeat
        and calls :meth:`ack_cancelled`). Terminal jobs are returned unchanged.

        Raises JobNotFoundError.
        """
        return await self._cancel(checks.name("job_id", job_id), time.time())

    # --- consumer side -------------------------------------------------
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
        return await self._claim(
            checks.name("worker", worker),
            checks.integer("limit", limit, minimum=1),
            checks.seconds("lease_seconds", lease_seconds, allow_zero=False),
            checks.queues(queues),
            time.time(),
        )

    async def heartbeat(
        self, worker: str, job_ids: list[str], lease_seconds: float = DEFAULT_LEASE_SECONDS
    ) -> dict[str, bool]:
        """Extend the leases this worker holds.

        Returns ``{job_id: cancel_requested}`` for every job the worker still
        holds; a job missing from the answer was lost (lease expired and taken
        by someone else, or finished) and the runner must stop working on it.
        """
        ids = checks.job_ids(job_ids)
        worker = checks.name("worker", worker)
        lease = checks.seconds("lease_seconds", lease_seconds, allow_zero=False)
        if not ids:
            return {}
        return await self._heartbeat(worker, ids, lease, time.time())

    async def ack(self, worker: str, job_id: str, result: Mapping[str, Any] | None = None) -> bool:
        """Mark a held job succeeded. False when the worker no longer holds it."""
        return await self._ack(
            checks.name("worker", worker),
            checks.name("job_id", job_id),
            checks.json_object("result", result) if result is not None else None,
            time.time(),
        )

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
        if retry_in is not None:
            retry_in = checks.seconds("retry_in", retry_in, allow_zero=True)
        return await self._fail(
            checks.name("worker", worker),
            checks.name("job_id", job_id),
            str(error),
            bool(retry),
            retry_in,
            time.time(),
        )

    async def ack_cancelled(self, worker: str, job_id: str) -> bool:
        """The runner stopped a held job (normally one whose cancel was
        requested): it becomes ``cancelled``. False when not held."""
        return await self._ack_cancelled(
            checks.name("worker", worker), checks.name("job_id", job_id), time.time()
        )

    async def release(self, worker: str, job_id: str) -> bool:
        """Hand a held job back untouched (graceful shutdown): queued again at
        once in its old place, and the attempt is not counted."""
        return await self._release(
            checks.name("worker", worker), checks.name("job_id", job_id), time.time()
        )

    # --- wake-ups --------------------------------------------------------
    async def wait(self, timeout: float) -> None:
        """Return as soon as new work may be available, or after ``timeout``.

        Pushed where the backend can (LISTEN/NOTIFY, in-process event); the
        timeout is the poll fallback for producers in other processes. A
        wake-up that arrived since the last ``wait`` returned makes the next
        one return at once, so none is lost between a claim and a wait.
        """
        await self._wait(checks.seconds("timeout", timeout, allow_zero=True))

    # --- inspection ------------------------------------------------------
    async def get(self, job_id: str) -> Job | None:
        """The job, or None."""
        return await self._get(checks.name("job_id", job_id))

    async def stats(self, queue: str = "default") -> QueueStats:
        """Depth per state and the oldest wait."""
        return await self._stats(checks.name("queue", queue), time.time())

    # --- hooks a backend fills in ------------------------------------------
    # Arguments arrive checked; ``now`` is the wall clock (epoch seconds) the
    # public method read, so one call uses one instant throughout.

    @abc.abstractmethod
    async def _enqueue(self, job: Job, connection: Any) -> Job:
        """Store ``job`` (fully built, state queued) or return the in-flight
        job holding its idempotency key; wake claimers."""

    @abc.abstractmethod
    async def _cancel(self, job_id: str, now: float) -> Job:
        """See :meth:`cancel`. Raises JobNotFoundError."""

    @abc.abstractmethod
    async def _claim(
        self, worker: str, limit: int, lease: float, queues: tuple[str, ...], now: float
    ) -> list[Job]:
        """See :meth:`claim`; returns the claimed jobs in claim order."""

    @abc.abstractmethod
    async def _heartbeat(
        self, worker: str, job_ids: list[str], lease: float, now: float
    ) -> dict[str, bool]:
        """See :meth:`heartbeat`; ``job_ids`` is non-empty."""

    @abc.abstractmethod
    async def _ack(
        self, worker: str, job_id: str, result: dict[str, Any] | None, now: float
    ) -> bool: ...

    @abc.abstractmethod
    async def _fail(
        self,
        worker: str,
        job_id: str,
        error: str,
        retry: bool,
        retry_in: float | None,
        now: float,
    ) -> JobState | None:
        """See :meth:`fail`; compute the default delay with :func:`retry_delay`
        of the failed attempt's number."""

    @abc.abstractmethod
    async def _ack_cancelled(self, worker: str, job_id: str, now: float) -> bool: ...

    @abc.abstractmethod
    async def _release(self, worker: str, job_id: str, now: float) -> bool: ...

    @abc.abstractmethod
    async def _wait(self, timeout: float) -> None: ...

    @abc.abstractmethod
    async def _get(self, job_id: str) -> Job | None: ...

    @abc.abstractmethod
    async def _stats(self, queue: str, now: float) -> QueueStats: ...


def next_state_after_failure(attempts: int, max_attempts: int, retry: bool) -> JobState:
    """Where a failed attempt leaves a job: shared by every backend."""
    if not retry:
        return JobState.FAILED
    return JobState.QUEUED if attempts < max_attempts else JobState.DEAD


LEASE_EXPIRED_ERROR = "lease expired on the last attempt (runner lost or too slow)"
