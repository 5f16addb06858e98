"""The durable outbox: webhook messages that must reach their endpoint.

A message is written here before anyone tries to send it, so it survives a
crash or a restart of the process that produced it; the
:class:`~reportflow.webhooks.dispatcher.OutboxDispatcher` sends it, records
every attempt, and retries on the schedule until the endpoint accepts it, the
endpoint says it is gone, or the schedule gives up. Message states::

    pending ──2xx──▶ delivered
       │ ├──410────▶ gone
       │ └──4xx / schedule exhausted──▶ dead
       ▲                                  │
       └──────────── redeliver ◀──────────┘ (also from gone)

A claimed message stays ``pending`` with ``next_attempt_at`` pushed one lease
ahead, so if the sender dies mid-attempt the message is due again when the
lease ends: delivery is at-least-once, and receivers deduplicate by
``webhook-id``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from reportflow.errors import WebhookDeliveryError, WebhookError
from reportflow.store.gate import sqlite_path, write_gate
from reportflow.store.inline import InlineDatabase, read_transaction
from reportflow.webhooks.delivery import DeliveryAttempt
from reportflow.webhooks.tables import SQLITE_BUSY_TIMEOUT_SECONDS, create_engine, metadata
from reportflow.webhooks.tables import attempts as attempts_t
from reportflow.webhooks.tables import outbox as outbox_t

# Constant statements with bound parameters: SQLAlchemy compiles each once.
_RECORD = (
    update(outbox_t)
    .where(outbox_t.c.id == bindparam("msg_id"))
    .values(
        attempts=outbox_t.c.attempts + 1,
        round_attempts=outbox_t.c.round_attempts + 1,
        round_started_at=func.coalesce(outbox_t.c.round_started_at, bindparam("at")),
        state=bindparam("state"),
        next_attempt_at=bindparam("next_at"),
        last_status=bindparam("status"),
        last_error=bindparam("error"),
    )
    .returning(outbox_t.c.attempts)
)
_INSERT_ATTEMPT = attempts_t.insert()
_ADD_SQLITE = sqlite.insert(outbox_t).on_conflict_do_nothing()
_ADD_PG = postgresql.insert(outbox_t).on_conflict_do_nothing()


class MessageState(StrEnum):
    """Where an outbox message is in its life."""

    PENDING = "pending"  # waiting for its next attempt (or being attempted)
    DELIVERED = "delivered"  # the endpoint answered 2xx
    DEAD = "dead"  # rejected for good (4xx) or the retry schedule gave up
    GONE = "gone"  # the endpoint answered 410 Gone


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox message as the delivery log shows it."""

    id: str
    endpoint: str
    state: MessageState
    attempts: int
    created_at: float
    next_attempt_at: float
    last_status: int | None
    last_error: str | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One recorded delivery attempt of one message."""

    message_id: str
    attempt: int
    at: float
    status: int | None
    latency_ms: float
    error: str | None


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A due message leased to one sender."""

    id: str
    endpoint: str
    payload: dict[str, Any]
    round_attempts: int
    round_started_at: float | None


class Outbox:
    """The outbox tables on one database (SQLite or PostgreSQL).

    Build it with :meth:`from_url` (it then owns its engine) or around an
    existing ``AsyncEngine``; call :meth:`create_tables` once.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Callable[[], float] = time.time,
        own_engine: bool = False,
    ) -> None:
        self.engine = engine
        self._clock = clock
        self._own_engine = own_engine
        self._postgres = engine.dialect.name == "postgresql"
        # Writers in this process share the SQLite file's gate with the store.
        self._gate_path = sqlite_path(engine.url)
        self._listeners: list[Callable[[], None]] = []
        # On a SQLite file, transactions run on a sync engine (reportflow.store.inline);
        # every commit fsynced (synchronous=FULL), as the async engine's default.
        self._inline = (
            None
            if self._gate_path is None
            else InlineDatabase(
                engine,
                self._gate_path,
                timeout=SQLITE_BUSY_TIMEOUT_SECONDS,
                synchronous="FULL",
                foreign_keys=False,
            )
        )

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Outbox:
        return cls(create_engine(url), own_engine=True, **kwargs)

    async def create_tables(self) -> None:
        async with self._guard("create the outbox tables"), self._write() as conn:
            await conn.run_sync(metadata.create_all)

    async def close(self) -> None:
        if self._inline is not None:
            self._inline.dispose()
        if self._own_engine:
            await self.engine.dispose()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (synchronously, in the event loop) after each :meth:`add`."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def add(
        self,
        endpoint: str,
        msg_id: str,
        payload: dict[str, Any],
        *,
        delay: float = 0.0,
        lease: float | None = None,
    ) -> bool:
        """Store a message for ``endpoint``; ``False`` if that id is already stored.

        Adding the same id twice is a no-op, so a producer that retries after a
        crash cannot queue a second copy. With ``lease`` the message is stored
        already claimed for that many seconds, for the caller to hand to its
        dispatcher (:meth:`OutboxDispatcher.hand_over`); nobody is woken.
        """
        now = self._clock()
        values = {
            "id": msg_id,
            "endpoint": endpoint,
            "payload": payload,
            "created_at": now,
            "next_attempt_at": now + (delay if lease is None else lease),
            "attempts": 0,
            "round_attempts": 0,
            "state": MessageState.PENDING.value,
        }
        stmt = _ADD_PG if self._postgres else _ADD_SQLITE
        async with self._guard(f"store webhook {msg_id!r}"), self._write() as conn:
            result = await conn.execute(stmt, values)
        if lease is None:
            for listener in list(self._listeners):
                listener()
        return bool(result.rowcount)

    async def claim_due(
        self, endpoints: Sequence[str], *, limit: int, lease: float
    ) -> list[ClaimedMessage]:
        """Lease up to ``limit`` due pending messages of ``endpoints`` for ``lease`` seconds."""
        now = self._clock()
        due = (
            select(outbox_t.c.id)
            .where(
                outbox_t.c.state == MessageState.PENDING.value,
                outbox_t.c.next_attempt_at <= now,
                outbox_t.c.endpoint.in_(list(endpoints)),
            )
            .order_by(outbox_t.c.next_attempt_at)
            .limit(limit)
        )
        if self._postgres:
            # Concurrent dispatchers each get different rows instead of waiting.
            due = due.with_for_update(skip_locked=True)
        stmt = (
            update(outbox_t)
            .where(outbox_t.c.id.in_(due.scalar_subquery()))
            .values(next_attempt_at=now + lease)
            .returning(
                outbox_t.c.id,
                outbox_t.c.endpoint,
                outbox_t.c.payload,
                outbox_t.c.round_attempts,
                outbox_t.c.round_started_at,
            )
        )
        async with self._guard("claim due webhooks"), self._write() as conn:
            rows = (await conn.execute(stmt)).all()
        return [ClaimedMessage(r.id, r.endpoint, r.payload, r[3], r[4]) for r in rows]

    async def record(
        self, attempt: DeliveryAttempt, *, state: MessageState, next_attempt_at: float | None
    ) -> int:
        """Log ``attempt``, move the message to ``state``; returns the attempt's number."""
        return (await self.record_many([(attempt, state, next_attempt_at)]))[0]

    async def record_many(
        self, steps: Sequence[tuple[DeliveryAttempt, MessageState, float | None]]
    ) -> list[int]:
        """:meth:`record` for several attempts (of different messages), in one transaction."""
        numbers: list[int] = []
        action = f"record webhook {steps[0][0].msg_id!r}" if steps else "record webhooks"
        async with self._guard(action), self._write() as conn:
            for attempt, state, next_attempt_at in steps:
                numbers.append(await self._record(conn, attempt, state, next_attempt_at))
        return numbers

    async def _record(
        self,
        conn: AsyncConnection,
        attempt: DeliveryAttempt,
        state: MessageState,
        next_attempt_at: float | None,
    ) -> int:
        at_next = attempt.at if next_attempt_at is None else next_attempt_at
        number = (
            await conn.execute(
                _RECORD,
                {
                    "msg_id": attempt.msg_id,
                    "at": attempt.at,
                    "state": state.value,
                    "next_at": at_next,
                    "status": attempt.status,
                    "error": attempt.error,
                },
            )
        ).scalar_one_or_none()
        if number is None:
            raise WebhookDeliveryError(f"no webhook message {attempt.msg_id!r} in the outbox")
        await conn.execute(
            _INSERT_ATTEMPT,
            {
                "message_id": attempt.msg_id,
                "attempt": number,
                "at": attempt.at,
                "status": attempt.status,
                "latency_ms": attempt.latency * 1000.0,
                "error": attempt.error,
            },
        )
        return int(number)

    async def next_due_at(self, endpoints: Sequence[str]) -> float | None:
        """When the earliest pending message of ``endpoints`` is due (``None``: none)."""
        stmt = select(func.min(outbox_t.c.next_attempt_at)).where(
            outbox_t.c.state == MessageState.PENDING.value,
            outbox_t.c.endpoint.in_(list(endpoints)),
        )
        async with self._guard("read the outbox"), self._read() as conn:
            value = (await conn.execute(stmt)).scalar_one_or_none()
        return None if value is None else float(value)

    async def pending_count(self) -> int:
        stmt = select(func.count()).where(outbox_t.c.state == MessageState.PENDING.value)
        async with self._guard("read the outbox"), self._read() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def list_deliveries(
        self, *, failed_only: bool = False, limit: int = 100
    ) -> list[Delivery]:
        """Newest messages first; ``failed_only``: dead, gone, or pending after a failure."""
        stmt = select(outbox_t).order_by(outbox_t.c.created_at.desc()).limit(limit)
        if failed_only:
            stmt = stmt.where(
                or_(
                    outbox_t.c.state.in_([MessageState.DEAD.value, MessageState.GONE.value]),
                    (outbox_t.c.state == MessageState.PENDING.value) & (outbox_t.c.attempts > 0),
                )
            )
        async with self._guard("list webhook deliveries"), self._read() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        return [_delivery(r) for r in rows]

    async def get(self, msg_id: str) -> Delivery:
        stmt = select(outbox_t).where(outbox_t.c.id == msg_id)
        async with self._guard(f"read webhook {msg_id!r}"), self._read() as conn:
            row = (await conn.execute(stmt)).mappings().one_or_none()
        if row is None:
            raise WebhookDeliveryError(f"no webhook message {msg_id!r} in the outbox")
        return _delivery(row)

    async def attempts(self, msg_id: str) -> list[AttemptRecord]:
        """Every recorded attempt of one message, oldest first."""
        stmt = (
            select(attempts_t)
            .where(attempts_t.c.message_id == msg_id)
            .order_by(attempts_t.c.attempt)
        )
        async with self._guard(f"read attempts of {msg_id!r}"), self._read() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        return [AttemptRecord(**dict(r)) for r in rows]

    async def redeliver(self, msg_id: str) -> Delivery:
        """Send a dead, gone or waiting message again now, with a fresh retry schedule.

        Raises:
            WebhookDeliveryError: no such message, or it was already delivered.
        """
        current = await self.get(msg_id)
        if current.state is MessageState.DELIVERED:
            raise WebhookDeliveryError(f"webhook {msg_id!r} was delivered; nothing to redeliver")
        stmt = (
            update(outbox_t)
            .where(outbox_t.c.id == msg_id)
            .values(
                state=MessageState.PENDING.value,
                next_attempt_at=self._clock(),
                round_attempts=0,
                round_started_at=None,
            )
        )
        async with self._guard(f"redeliver webhook {msg_id!r}"), self._write() as conn:
            await conn.execute(stmt)
        for listener in list(self._listeners):
            listener()
        return await self.get(msg_id)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        if self._inline is not None:
            async with self._inline.write() as inline:
                yield inline
            return
        async with write_gate(self._gate_path), self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        async with read_transaction(self.engine, self._inline) as conn:
            yield conn

    def _guard(self, action: str) -> _DatabaseGuard:
        return _DatabaseGuard(action)


class _DatabaseGuard:
    """Translates driver errors into :class:`WebhookError` naming the action."""

    def __init__(self, action: str) -> None:
        self.action = action

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, SQLAlchemyError | OSError):
            detail = " ".join(str(exc).split())[:200]
            raise WebhookError(f"outbox: cannot {self.action}: {detail}") from exc


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row["id"],
        endpoint=row["endpoint"],
        state=MessageState(row["state"]),
        attempts=row["attempts"],
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        payload=row["payload"],
    )
