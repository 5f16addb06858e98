"""The runner pool: N asyncio slots claiming jobs from one queue.

There are no long-lived slot tasks. ``concurrency`` is a target; the claim
loop asks the queue for at most ``target - busy`` jobs (capped by
``claim_batch``) and starts one task per claimed job. When the pool is full it
sleeps until a job finishes; when the queue is empty it sleeps in
``queue.wait()`` (pushed wake-up, with ``poll_seconds`` as the fallback). So a
pool of 10,000 slots costs one task per running job plus two: the claim loop
and the heartbeat.

One heartbeat task renews every held lease with a single ``queue.heartbeat``
call per beat. Its answer drives cancellation: a job flagged
``cancel_requested`` is cancelled and recorded with ``ack_cancelled``; a job
missing from the answer lost its lease (another runner owns it now), so its
task is stopped and nothing is recorded or emitted for it.

Shrinking never kills a running report: slots above the new target simply
are not refilled. ``drain`` stops claiming, lets running jobs finish within a
grace period, then cancels the rest and ``release``-s them to the queue, which
does not count the attempt.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from typing import Any

from reportflow.config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_GRACE_SECONDS,
    DEFAULT_HEARTBEAT_SECONDS,
    DEFAULT_LEASE_SECONDS,
)
from reportflow.errors import RunnerError
from reportflow.queue.base import Job, Queue
from reportflow.runner.attempt import Attempt, AttemptSettings
from reportflow.runner.context import DEFAULT_PROGRESS_INTERVAL, Executor
from reportflow.runner.events import EventSink, LogSink
from reportflow.runner.hooks import HookChain, Outcome, RunnerHooks

log = logging.getLogger("reportflow.runner")

DEFAULT_CLAIM_BATCH = 16
DEFAULT_POLL_SECONDS = 1.0
#: How long a drain waits for cancelled jobs to be handed back before giving
#: up on them (their leases then expire and another runner takes them).
RELEASE_TIMEOUT = 10.0


def default_worker_id() -> str:
    """``host-pid-random``: unique per runner, readable in the queue's tables."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Runner:
    """An asyncio pool of ``concurrency`` slots running jobs from ``queue``.

    Raises RunnerError for bad sizes and when started twice.
    """

    def __init__(
        self,
        queue: Queue,
        executor: Executor,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        sink: EventSink | None = None,
        hooks: tuple[RunnerHooks, ...] | list[RunnerHooks] = (),
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        grace_seconds: float = DEFAULT_GRACE_SECONDS,
        claim_batch: int = DEFAULT_CLAIM_BATCH,
        worker_id: str | None = None,
        queues: tuple[str, ...] = ("default",),
        timeout_seconds: float | None = None,
        retry_timeouts: bool = False,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
    ) -> None:
        _check_size(concurrency)
        if lease_seconds <= 0:
            raise RunnerError(f"lease_seconds must be > 0, got {lease_seconds}")
        if not 0 < heartbeat_seconds < lease_seconds:
            raise RunnerError(
                f"heartbeat_seconds must be > 0 and below lease_seconds ({lease_seconds}), "
                f"got {heartbeat_seconds}"
            )
        if claim_batch < 1:
            raise RunnerError(f"claim_batch must be >= 1, got {claim_batch}")
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise RunnerError(f"timeout_seconds must be > 0 or None, got {timeout_seconds}")
        self.worker_id = worker_id or default_worker_id()
        self.queue = queue
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.grace_seconds = grace_seconds
        self.queues = tuple(queues)
        self._target = concurrency
        self._claim_batch = claim_batch
        self._poll = poll_seconds
        self._hooks = HookChain(list(hooks))
        self._attempt_settings = AttemptSettings(
            queue=queue,
            executor=executor,
            sink=sink if sink is not None else LogSink(),
            hooks=self._hooks,
            worker_id=self.worker_id,
            timeout_seconds=timeout_seconds,
            retry_timeouts=retry_timeouts,
            progress_interval=progress_interval,
        )
        self._running: dict[str, Attempt] = {}
        self._wake = asyncio.Event()
        self._waiting_for_room = False
        self._stopping = False
        self._claimer: asyncio.Task[None] | None = None
        self._beater: asyncio.Task[None] | None = None
        self._drainer: asyncio.Task[None] | None = None
        self._hurry = asyncio.Event()

    # --- public face ---------------------------------------------------
    @property
    def concurrency(self) -> int:
        """The target number of slots."""
        return self._target

    @property
    def busy(self) -> int:
        """Slots running a job right now (may exceed the target right after a shrink)."""
        return len(self._running)

    @property
    def running_jobs(self) -> list[Job]:
        return [attempt.job for attempt in self._running.values()]

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def start(self) -> None:
        """Start claiming and heartbeating. Raises RunnerError when started twice."""
        if self._claimer is not None:
            raise RunnerError(f"runner {self.worker_id} was already started")
        self._claimer = asyncio.create_task(self._claim_loop(), name="runner-claim")
        self._beater = asyncio.create_task(self._heartbeat_loop(), name="runner-heartbeat")
        log.info(
            "runner %s started with %d slots",
            self.worker_id,
            self._target,
            extra={"worker": self.worker_id, "concurrency": self._target},
        )

    async def resize(self, concurrency: int, reason: str = "manual") -> None:
        """Change the target; growing claims at once, shrinking lets running jobs finish."""
        _check_size(concurrency)
        old, self._target = self._target, concurrency
        if old == concurrency:
            return
        self._wake.set()
        log.info(
            "runner %s resized %d -> %d (%s)",
            self.worker_id,
            old,
            concurrency,
            reason,
            extra={"worker": self.worker_id, "old": old, "new": concurrency, "reason": reason},
        )
        await self._hooks.on_resize(old, concurrency, reason)

    async def drain(self, grace: float | None = None) -> None:
        """Stop claiming, wait up to ``grace`` seconds for running jobs, then
        cancel the rest and hand them back to the queue. Calling it again while
        a drain runs with ``grace=0`` cuts the wait short (a second SIGTERM)."""
        grace = self.grace_seconds if grace is None else grace
        self._stopping = True
        self._wake.set()
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain(grace), name="runner-drain")
        elif grace <= 0:
            self._hurry.set()
        await asyncio.shield(self._drainer)

    async def stop(self) -> None:
        """:meth:`drain` with the configured grace period."""
        await self.drain()

    async def __aenter__(self) -> Runner:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- claiming --------------------------------------------------------
    async def _claim_loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            room = self._target - len(self._running)
            if room <= 0:
                # Full: only a finishing job, a resize or a drain can change that.
                self._waiting_for_room = True
                await self._wake.wait()
                self._waiting_for_room = False
                continue
            limit = min(room, self._claim_batch)
            jobs = await self._claim(limit)
            if jobs is None:
                await self._idle()
                continue
            if self._stopping:
                await self._hand_back(jobs)
                break
            if jobs:
                await self._hooks.after_claim(jobs)
                for job in jobs:
                    self._launch(job)
            if len(jobs) < limit:
                await self._idle()

    async def _claim(self, limit: int) -> list[Job] | None:
        """One claim round; None when the queue failed (logged)."""
        await self._hooks.before_claim()
        try:
            return await self.queue.claim(
                self.worker_id, limit=limit, lease_seconds=self.lease_seconds, queues=self.queues
            )
        except Exception:
            log.exception("runner %s: claim failed, retrying", self.worker_id)
            return None

    async def _idle(self) -> None:
        """Sleep until the queue has news, the poll interval passes, or we are woken."""
        if self._wake.is_set():
            return
        waiters = {
            asyncio.ensure_future(self.queue.wait(self._poll)),
            asyncio.ensure_future(self._wake.wait()),
        }
        try:
            _, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
        for waiter in waiters - pending:
            if not waiter.cancelled() and waiter.exception() is not None:
                log.warning("runner %s: queue.wait failed: %s", self.worker_id, waiter.exception())
                await asyncio.sleep(self._poll)

    def _launch(self, job: Job) -> None:
        previous = self._running.get(job.id)
        if previous is not None:
            # The queue handed the job out again: our lease on the old attempt
            # lapsed, so that attempt no longer counts.
            previous.stop(Outcome.LOST)
        attempt = Attempt(job, self._attempt_settings)
        self._running[job.id] = attempt
        attempt.task = asyncio.create_task(self._run(attempt), name=f"job-{job.id}")

    async def _run(self, attempt: Attempt) -> None:
        try:
            await attempt.run()
        finally:
            if self._running.get(attempt.job.id) is attempt:
                del self._running[attempt.job.id]
            if self._waiting_for_room:
                self._wake.set()

    async def _hand_back(self, jobs: list[Job]) -> None:
        for job in jobs:
            try:
                await self.queue.release(self.worker_id, job.id)
            except Exception:
                log.exception("runner %s: could not hand back job %s", self.worker_id, job.id)

    # --- heartbeat -------------------------------------------------------
    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            await self.beat()

    async def beat(self) -> None:
        """Renew every held lease in one call and act on the answer."""
        ids = list(self._running)
        if not ids:
            return
        try:
            answer = await self.queue.heartbeat(self.worker_id, ids, self.lease_seconds)
        except Exception:
            log.exception("runner %s: heartbeat failed for %d jobs", self.worker_id, len(ids))
            return
        for job_id in ids:
            attempt = self._running.get(job_id)
            if attempt is None:
                continue
            cancel = answer.get(job_id)
            if cancel is None:
                log.warning(
                    "runner %s lost the lease on job %s; abandoning it",
                    self.worker_id,
                    job_id,
                    extra={"job_id": job_id, "worker": self.worker_id},
                )
                attempt.stop(Outcome.LOST)
            elif cancel:
                attempt.stop(Outcome.CANCELLED)

    # --- draining --------------------------------------------------------
    async def _drain(self, grace: float) -> None:
        if self._claimer is not None:
            await asyncio.wait({self._claimer}, timeout=max(grace, self.lease_seconds))
            self._claimer.cancel()
        tasks = {a.task for a in self._running.values() if a.task is not None}
        if tasks and grace > 0:
            log.info(
                "runner %s draining: waiting up to %gs for %d jobs",
                self.worker_id,
                grace,
                len(tasks),
            )
            # Whichever comes first: every job done, the grace over, or a hurry-up.
            waiters = {
                asyncio.ensure_future(asyncio.wait(tasks)),
                asyncio.ensure_future(self._hurry.wait()),
            }
            await asyncio.wait(waiters, timeout=grace, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
        left = list(self._running.values())
        for attempt in left:
            attempt.stop(Outcome.RELEASED)
        if left:
            log.info("runner %s handing back %d jobs", self.worker_id, len(left))
            await asyncio.wait(
                {a.task for a in left if a.task is not None}, timeout=RELEASE_TIMEOUT
            )
        if self._beater is not None:
            self._beater.cancel()
            await asyncio.gather(self._beater, return_exceptions=True)
        log.info("runner %s stopped", self.worker_id, extra={"worker": self.worker_id})


def _check_size(concurrency: Any) -> None:
    if not isinstance(concurrency, int) or concurrency < 0:
        raise RunnerError(f"concurrency must be a whole number >= 0, got {concurrency!r}")
