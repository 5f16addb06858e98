"""The in-memory twin of the durable backends: same semantics, no durability.

Used by unit tests and by anything that wants a queue without a database.
``memory://`` gives a private queue; ``memory://name`` shares one queue per
name inside the process (for a requestor and a runner living side by side).

Claim order comes from one heap per queue keyed by ``(-priority,
scheduled_at, sequence)``. Entries are invalidated lazily: a job that left
``queued`` (or was pushed again) leaves a stale entry that is dropped when it
surfaces.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import weakref
from typing import Any

from reportflow.errors import JobNotFoundError, QueueError
from reportflow.queue.base import (
    LEASE_EXPIRED_ERROR,
    Job,
    JobState,
    Queue,
    QueueStats,
    next_state_after_failure,
    retry_delay,
)
from reportflow.queue.wakeup import WakeUp

_HeapEntry = tuple[int, float, int, str]

_shared: weakref.WeakValueDictionary[str, MemoryQueue] = weakref.WeakValueDictionary()


def memory_queue(url: str) -> MemoryQueue:
    """The queue for a ``memory://[name]`` URL."""
    name = url.partition("://")[2].strip("/")
    if not name:
        return MemoryQueue(url)
    queue = _shared.get(name)
    if queue is None:
        queue = MemoryQueue(url)
        _shared[name] = queue
    return queue


class MemoryQueue(Queue):
    """A process-local queue; every public method completes without I/O."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._jobs: dict[str, Job] = {}
        self._heaps: dict[str, list[_HeapEntry]] = {}
        self._entry_seq: dict[str, int] = {}  # job id -> sequence of its live heap entry
        self._running: dict[str, set[str]] = {}  # queue -> ids of running jobs
        self._keys: dict[tuple[str, str], str] = {}  # (queue, key) -> in-flight job id
        self._sequence = itertools.count()
        self._wakeup = WakeUp()

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    # --- helpers ---------------------------------------------------------
    def _push(self, job: Job) -> None:
        seq = next(self._sequence)
        self._entry_seq[job.id] = seq
        heap = self._heaps.setdefault(job.queue, [])
        heapq.heappush(heap, (-job.priority, job.scheduled_at, seq, job.id))

    def _held(self, worker: str, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        if job is None or job.state is not JobState.RUNNING or job.worker != worker:
            return None
        return job

    def _finish(self, job: Job, state: JobState, now: float) -> None:
        if job.state is JobState.RUNNING:
            self._running[job.queue].discard(job.id)
        job.state = state
        job.finished_at = now
        job.lease_until = None
        if job.idempotency_key is not None:
            self._keys.pop((job.queue, job.idempotency_key), None)

    def _start(self, job: Job, worker: str, lease: float, now: float) -> Job:
        job.state = JobState.RUNNING
        job.attempts += 1
        job.worker = worker
        job.started_at = now
        job.lease_until = now + lease
        self._running.setdefault(job.queue, set()).add(job.id)
        return _snapshot(job)

    # --- hooks -------------------------------------------------------------
    async def _enqueue(self, job: Job, connection: Any) -> Job:
        if job.id in self._jobs:
            raise QueueError(f"job id {job.id!r} already exists")
        if job.idempotency_key is not None:
            existing = self._keys.get((job.queue, job.idempotency_key))
            if existing is not None:
                return _snapshot(self._jobs[existing])
            self._keys[(job.queue, job.idempotency_key)] = job.id
        self._jobs[job.id] = job
        self._push(job)
        self._wakeup.notify()
        return _snapshot(job)

    async def _cancel(self, job_id: str, now: float) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFoundError(f"no job with id {job_id!r}")
        if job.state is JobState.QUEUED:
            self._finish(job, JobState.CANCELLED, now)
        elif job.state is JobState.RUNNING:
            job.cancel_requested = True
        return _snapshot(job)

    def _reap_expired(self, queues: tuple[str, ...], now: float) -> None:
        """Expired leases: back to ``queued`` in their old place when attempts
        are left (the claim that follows counts the next one), else ``dead``."""
        for name in queues:
            for job_id in list(self._running.get(name, ())):
                job = self._jobs[job_id]
                if job.lease_until is None or job.lease_until >= now:
                    continue
                if job.attempts >= job.max_attempts:
                    job.error = LEASE_EXPIRED_ERROR
                    self._finish(job, JobState.DEAD, now)
                else:
                    self._requeue(job, job.scheduled_at)

    async def _claim(
        self, worker: str, limit: int, lease: float, queues: tuple[str, ...], now: float
    ) -> list[Job]:
        self._reap_expired(queues, now)
        candidates: list[_HeapEntry] = []
        for name in queues:
            heap = self._heaps.get(name, [])
            not_due: list[_HeapEntry] = []
            taken = 0
            while heap and taken < limit:
                entry = heapq.heappop(heap)
                job = self._jobs[entry[3]]
                if job.state is not JobState.QUEUED or self._entry_seq.get(job.id) != entry[2]:
                    continue  # stale entry
                if job.scheduled_at > now:
                    not_due.append(entry)
                    continue
                candidates.append(entry)
                taken += 1
            for entry in not_due:
                heapq.heappush(heap, entry)
        # Over several queues keep the global order; put back what is not taken.
        candidates.sort()
        for entry in candidates[limit:]:
            heapq.heappush(self._heaps[self._jobs[entry[3]].queue], entry)
        claimed = []
        for entry in candidates[:limit]:
            del self._entry_seq[entry[3]]
            claimed.append(self._start(self._jobs[entry[3]], worker, lease, now))
        return claimed

    async def _heartbeat(
        self, worker: str, job_ids: list[str], lease: float, now: float
    ) -> dict[str, bool]:
        out: dict[str, bool] = {}
        for job_id in job_ids:
            job = self._held(worker, job_id)
            if job is not None:
                job.lease_until = now + lease
                out[job_id] = job.cancel_requested
        return out

    async def _ack(
        self, worker: str, job_id: str, result: dict[str, Any] | None, now: float
    ) -> bool:
        job = self._held(worker, job_id)
        if job is None:
            return False
        job.result = result
        self._finish(job, JobState.SUCCEEDED, now)
        return True

    async def _fail(
        self,
        worker: str,
        job_id: str,
        error: str,
        retry: bool,
        retry_in: float | None,
        now: float,
    ) -> JobState | None:
        job = self._held(worker, job_id)
        if job is None:
            return None
        job.error = error
        state = next_state_after_failure(job.attempts, job.max_attempts, retry)
        if state is JobState.QUEUED:
            delay = retry_delay(job.attempts) if retry_in is None else retry_in
            self._requeue(job, now + delay)
        else:
            self._finish(job, state, now)
        return state

    def _requeue(self, job: Job, scheduled_at: float) -> None:
        self._running[job.queue].discard(job.id)
        job.state = JobState.QUEUED
        job.worker = None
        job.lease_until = None
        job.scheduled_at = scheduled_at
        self._push(job)
        self._wakeup.notify()

    async def _ack_cancelled(self, worker: str, job_id: str, now: float) -> bool:
        job = self._held(worker, job_id)
        if job is None:
            return False
        self._finish(job, JobState.CANCELLED, now)
        return True

    async def _release(self, worker: str, job_id: str, now: float) -> bool:
        job = self._held(worker, job_id)
        if job is None:
            return False
        job.attempts -= 1
        job.started_at = None
        self._requeue(job, job.scheduled_at)
        return True

    async def _wait(self, timeout: float) -> None:
        await self._wakeup.wait(timeout)

    async def _get(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        return None if job is None else _snapshot(job)

    async def _stats(self, queue: str, now: float) -> QueueStats:
        depth = dict.fromkeys(JobState, 0)
        oldest: float | None = None
        for job in self._jobs.values():
            if job.queue != queue:
                continue
            depth[job.state] += 1
            if job.state is JobState.QUEUED and job.scheduled_at <= now:
                oldest = job.scheduled_at if oldest is None else min(oldest, job.scheduled_at)
        wait = 0.0 if oldest is None else max(0.0, now - oldest)
        return QueueStats(depth=depth, oldest_wait_seconds=wait)


def _snapshot(job: Job) -> Job:
    """A copy the caller may change without touching the stored job."""
    copy = dataclasses.replace(job, params=dict(job.params), meta=dict(job.meta))
    if job.result is not None:
        copy.result = dict(job.result)
    return copy


def from_url(url: str, **options: Any) -> MemoryQueue:
    if options:
        raise QueueError(f"memory queue takes no options, got {sorted(options)}")
    return memory_queue(url)
