"""The SQL queue: every hook of :class:`Queue` on SQLAlchemy Core, async.

The dialect backends (:mod:`.sqlite`, :mod:`.postgres`) supply the engine,
how a write transaction starts, and how claimers are woken; the statements
themselves live in :mod:`.sql_statements`.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from reportflow.aftercommit import after_commit
from reportflow.errors import JobNotFoundError, QueueError
from reportflow.queue.base import (
    Job,
    JobState,
    Queue,
    QueueStats,
    next_state_after_failure,
    retry_delay,
)
from reportflow.queue.batching import GroupCommit
from reportflow.queue.sql_statements import Statements, statements

# An idempotent enqueue races a job finishing between its INSERT (conflict)
# and its SELECT (gone); each retry needs such a race again, so few suffice.
_IDEMPOTENT_TRIES = 5


S = TypeVar("S", bound="SQLQueue")
T = TypeVar("T")
P = ParamSpec("P")


def shielded(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
    """Run the operation to its end even if the caller is cancelled.

    A driver call cancelled halfway leaves its connection in an unknown state
    (SQLAlchemy then tears it down, racing the pool's own close on shutdown);
    finishing the statement keeps the pool sound and the outcome defined.
    """

    async def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.shield(self._track(method(self, *args, **kwargs)))

    return run


class SQLQueue(Queue):
    """Shared by the SQLite and PostgreSQL backends."""

    def __init__(self, url: str, dialect: str) -> None:
        self.url = url
        self._stmts: Statements = statements(dialect)
        self._engine_or_none: AsyncEngine | None = None
        self._enqueues: GroupCommit[Job, Job] = GroupCommit(self._flush_enqueues)
        self._acks: GroupCommit[_Ack, bool] = GroupCommit(self._flush_acks)
        self._inflight: set[asyncio.Future[Any]] = set()

    # --- what a dialect backend provides -------------------------------------
    @abc.abstractmethod
    def _write(
        self, *, durable: bool = False
    ) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        """A connection in a write transaction, committed on exit. ``durable``
        marks an enqueue or a cancel, whose commit must survive power loss;
        the rest may trade that for speed (a lost claim, ack or heartbeat
        only makes a job run again)."""

    @abc.abstractmethod
    def _claimable(self, delay: float) -> None:
        """A job became claimable in ``delay`` seconds (committed): wake local claimers."""

    async def _finish_batches(self) -> None:
        """Let writes in flight finish before the engine goes away (a caller
        that gave up waiting does not stop its write)."""
        await self._enqueues.aclose()
        await self._acks.aclose()
        if self._inflight:
            await asyncio.wait(set(self._inflight))

    def _track(self, operation: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(operation)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return task

    @property
    def _engine(self) -> AsyncEngine:
        if self._engine_or_none is None:
            raise QueueError(f"queue {self.safe_url} is not connected (call connect() first)")
        return self._engine_or_none

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    @contextlib.contextmanager
    def _errors(self, operation: str) -> Iterator[None]:
        """Driver errors become one-line QueueErrors naming the operation."""
        try:
            yield
        except (SQLAlchemyError, OSError) as exc:
            # OSError: the driver could not reach the server at all.
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise QueueError(f"queue {operation} failed on {self.safe_url}: {detail}") from exc

    @contextlib.asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        async with self._engine.connect() as conn:
            yield conn

    # --- producer ---------------------------------------------------------
    async def _enqueue(self, job: Job, connection: Any) -> Job:
        with self._errors("enqueue"):
            if connection is not None:
                if not isinstance(connection, AsyncConnection):
                    raise QueueError(
                        "connection must be a SQLAlchemy AsyncConnection, "
                        f"got {type(connection).__name__}"
                    )
                stored = await self._insert(connection, job)
            else:
                stored = await self._enqueues.submit(job)
        delay = max(0.0, stored.scheduled_at - job.enqueued_at)
        # On the caller's connection the row is visible only once they commit:
        # wake claimers then, when the caller's transaction says when that is.
        # (Otherwise a claimer woken now may find nothing, and the next wake-up,
        # PostgreSQL's NOTIFY on commit, or a poll picks the job up.)
        if connection is None or not after_commit(connection, lambda: self._claimable(delay)):
            self._claimable(delay)
        return stored

    async def _flush_enqueues(self, jobs: Sequence[Job]) -> list[Job | BaseException]:
        """One durable transaction for a batch of enqueues; if any of them
        breaks it (a duplicate id), each is retried alone so only it fails."""
        plain = [job for job in jobs if job.idempotency_key is None]
        try:
            with self._errors("enqueue"):
                async with self._write(durable=True) as conn:
                    if plain:
                        await conn.execute(self._stmts.insert_many, [job_values(j) for j in plain])
                    return [
                        job if job.idempotency_key is None else await self._insert(conn, job)
                        for job in jobs
                    ]
        except QueueError:
            pass  # find the culprit below, with its own message
        out: list[Job | BaseException] = []
        for job in jobs:
            try:
                with self._errors("enqueue"):
                    async with self._write(durable=True) as conn:
                        out.append(await self._insert(conn, job))
            except QueueError as exc:
                out.append(exc)
        return out

    async def _insert(self, conn: AsyncConnection, job: Job) -> Job:
        values = job_values(job)
        if job.idempotency_key is None:
            try:
                row = (await conn.execute(self._stmts.insert, values)).one()
            except IntegrityError as exc:
                raise QueueError(f"job id {job.id!r} already exists") from exc
            return row_to_job(row)
        key = {"b_queue": job.queue, "b_key": job.idempotency_key}
        for _ in range(_IDEMPOTENT_TRIES):
            try:
                row = (await conn.execute(self._stmts.insert_idempotent, values)).first()
            except IntegrityError as exc:
                raise QueueError(f"job id {job.id!r} already exists") from exc
            if row is None:
                row = (await conn.execute(self._stmts.find_in_flight, key)).first()
            if row is not None:
                return row_to_job(row)
        raise QueueError(f"idempotency key {job.idempotency_key!r} is contended, try again")

    @shielded
    async def _cancel(self, job_id: str, now: float) -> Job:
        with self._errors("cancel"):
            async with self._write(durable=True) as conn:
                params = {"b_job_id": job_id, "b_now": now}
                row = (await conn.execute(self._stmts.cancel, params)).first()
                if row is None:
                    row = (await conn.execute(self._stmts.get, params)).first()
        if row is None:
            raise JobNotFoundError(f"no job with id {job_id!r}")
        return row_to_job(row)

    # --- consumer -------------------------------------------------------------
    async def _claim(
        self, worker: str, limit: int, lease: float, queues: tuple[str, ...], now: float
    ) -> list[Job]:
        params = {
            "b_queues": list(queues),
            "b_now": now,
            "b_worker": worker,
            "b_lease_until": now + lease,
            "b_limit": limit,
        }
        task = self._track(self._claim_rows(params))
        try:
            rows = await asyncio.shield(task)
        except asyncio.CancelledError:
            # The caller will never run what the claim got: hand it back.
            task.add_done_callback(functools.partial(self._hand_back, worker))
            raise
        # RETURNING does not keep the subquery's order.
        return sorted(map(row_to_job, rows), key=lambda j: (-j.priority, j.scheduled_at, j.id))

    async def _claim_rows(self, params: dict[str, Any]) -> list[Row[Any]]:
        with self._errors("claim"):
            async with self._write() as conn:
                await conn.execute(self._stmts.reap, params)
                return list((await conn.execute(self._stmts.claim, params)).all())

    def _hand_back(self, worker: str, done: asyncio.Future[list[Row[Any]]]) -> None:
        if done.cancelled() or done.exception() is not None:
            return
        for row in done.result():
            self._track(self._release(worker, row_to_job(row).id, 0.0))

    @shielded
    async def _heartbeat(
        self, worker: str, job_ids: list[str], lease: float, now: float
    ) -> dict[str, bool]:
        params = {"b_job_ids": job_ids, "b_worker": worker, "b_lease_until": now + lease}
        with self._errors("heartbeat"):
            async with self._write() as conn:
                rows = (await conn.execute(self._stmts.heartbeat, params)).all()
        return {row[0]: bool(row[1]) for row in rows}

    async def _finish(
        self,
        operation: str,
        worker: str,
        job_id: str,
        state: JobState,
        now: float,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        conn: AsyncConnection | None = None,
    ) -> bool:
        params = {
            "b_job_id": job_id,
            "b_worker": worker,
            "b_state": state.value,
            "b_now": now,
            "b_result": result,
            "b_error": error,
        }
        if conn is not None:
            return (await conn.execute(self._stmts.finish, params)).first() is not None
        with self._errors(operation):
            async with self._write() as own:
                return (await own.execute(self._stmts.finish, params)).first() is not None

    async def _ack(
        self, worker: str, job_id: str, result: dict[str, Any] | None, now: float
    ) -> bool:
        return await self._acks.submit(_Ack(worker, job_id, result, now))

    async def _flush_acks(self, acks: Sequence[_Ack]) -> list[bool]:
        """Acks group-committed: one UPDATE per worker, then the results
        (inside that UPDATE on PostgreSQL, one UPDATE each on SQLite)."""
        by_worker: dict[str, tuple[list[str], dict[str, dict[str, Any]]]] = {}
        for ack in acks:
            ids, results = by_worker.setdefault(ack.worker, ([], {}))
            ids.append(ack.job_id)
            if ack.result is not None:
                # The same ack twice in a batch: the first one counts, as below.
                results.setdefault(ack.job_id, ack.result)
        now = max(ack.now for ack in acks)
        done: set[tuple[str, str]] = set()
        set_result = self._stmts.set_result
        with self._errors("ack"):
            async with self._write() as conn:
                for worker, (ids, results) in by_worker.items():
                    params: dict[str, Any] = {"b_worker": worker, "b_job_ids": ids, "b_now": now}
                    if set_result is None:
                        params["b_results"] = results
                    rows = (await conn.execute(self._stmts.ack_many, params)).all()
                    acked = {row[0] for row in rows}
                    done.update((worker, job_id) for job_id in acked)
                    if set_result is not None:
                        per_job = [
                            {"b_job_id": job_id, "b_result": result}
                            for job_id, result in results.items()
                            if job_id in acked
                        ]
                        if per_job:
                            await conn.execute(set_result, per_job)
        answers: list[bool] = []
        for ack in acks:
            key = (ack.worker, ack.job_id)
            answers.append(key in done)
            done.discard(key)  # the same ack twice in a batch counts once
        return answers

    @shielded
    async def _ack_cancelled(self, worker: str, job_id: str, now: float) -> bool:
        return await self._finish("ack_cancelled", worker, job_id, JobState.CANCELLED, now)

    @shielded
    async def _fail(
        self,
        worker: str,
        job_id: str,
        error: str,
        retry: bool,
        retry_in: float | None,
        now: float,
    ) -> JobState | None:
        held = {"b_job_id": job_id, "b_worker": worker}
        with self._errors("fail"):
            async with self._write() as conn:
                row = (await conn.execute(self._stmts.held_attempts, held)).first()
                if row is None:
                    return None
                attempts, max_attempts = int(row[0]), int(row[1])
                state = next_state_after_failure(attempts, max_attempts, retry)
                if state is not JobState.QUEUED:
                    done = await self._finish(
                        "fail", worker, job_id, state, now, error=error, conn=conn
                    )
                    return state if done else None
                delay = retry_delay(attempts) if retry_in is None else retry_in
                params = {
                    **held,
                    "b_attempts": attempts,
                    "b_scheduled_at": now + delay,
                    "b_error": error,
                }
                if (await conn.execute(self._stmts.requeue, params)).first() is None:
                    return None
        self._claimable(delay)
        return state

    @shielded
    async def _release(self, worker: str, job_id: str, now: float) -> bool:
        with self._errors("release"):
            async with self._write() as conn:
                params = {"b_job_id": job_id, "b_worker": worker}
                released = (await conn.execute(self._stmts.release, params)).first() is not None
        if released:
            self._claimable(0.0)
        return released

    # --- inspection -------------------------------------------------------------
    @shielded
    async def _get(self, job_id: str) -> Job | None:
        with self._errors("get"):
            async with self._read() as conn:
                row = (await conn.execute(self._stmts.get, {"b_job_id": job_id})).first()
        return None if row is None else row_to_job(row)

    @shielded
    async def _stats(self, queue: str, now: float) -> QueueStats:
        params = {"b_queue": queue, "b_now": now}
        with self._errors("stats"):
            async with self._read() as conn:
                counts = (await conn.execute(self._stmts.count_by_state, params)).all()
                oldest = (await conn.execute(self._stmts.oldest_due, params)).scalar()
        depth = dict.fromkeys(JobState, 0)
        for state, count in counts:
            depth[JobState(state)] = int(count)
        wait = 0.0 if oldest is None else max(0.0, now - float(oldest))
        return QueueStats(depth=depth, oldest_wait_seconds=wait)


@dataclass(frozen=True, slots=True)
class _Ack:
    worker: str
    job_id: str
    result: dict[str, Any] | None
    now: float


def job_values(job: Job) -> dict[str, Any]:
    """The row for a new job."""
    return {
        "id": job.id,
        "queue": job.queue,
        "report": job.report,
        "params": job.params,
        "meta": job.meta,
        "priority": job.priority,
        "state": job.state.value,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "idempotency_key": job.idempotency_key,
        "enqueued_at": job.enqueued_at,
        "scheduled_at": job.scheduled_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "lease_until": job.lease_until,
        "worker": job.worker,
        "cancel_requested": job.cancel_requested,
        "result": job.result,
        "error": job.error,
    }


def row_to_job(row: Row[Any]) -> Job:
    m = row._mapping
    return Job(
        id=m["id"],
        report=m["report"],
        params=dict(m["params"] or {}),
        meta=dict(m["meta"] or {}),
        queue=m["queue"],
        priority=m["priority"],
        state=JobState(m["state"]),
        attempts=m["attempts"],
        max_attempts=m["max_attempts"],
        idempotency_key=m["idempotency_key"],
        enqueued_at=m["enqueued_at"],
        scheduled_at=m["scheduled_at"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        lease_until=m["lease_until"],
        worker=m["worker"],
        cancel_requested=bool(m["cancel_requested"]),
        result=None if m["result"] is None else dict(m["result"]),
        error=m["error"],
    )
