"""The PostgreSQL backend: many runners on many machines.

Claims lock their rows with ``FOR UPDATE SKIP LOCKED``, so concurrent
claimers never wait on each other and never share a job. Wake-ups are
LISTEN/NOTIFY: a trigger notifies ``reportflow_jobs`` whenever a row becomes
claimable, and NOTIFY is delivered on commit, also for a job written in the
caller's own transaction. Each queue object listens on one dedicated asyncpg
connection; if it drops, waits fall back to polling until it is back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from reportflow.errors import ConfigError, QueueError
from reportflow.queue.sql_queue import SQLQueue
from reportflow.queue.sql_schema import NOTIFY_CHANNEL, POSTGRES_NOTIFY_DDL, TABLE, metadata
from reportflow.queue.wakeup import WakeUp

log = logging.getLogger(__name__)

DEFAULT_POOL_SIZE = 10
DEFAULT_POLL_INTERVAL = 1.0
_DURABLE = text("SET LOCAL synchronous_commit TO on")
_DRIVERS = {"postgresql", "postgres", "postgresql+asyncpg"}


def from_url(
    url: str,
    *,
    pool_size: int = DEFAULT_POOL_SIZE,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
) -> PostgresQueue:
    """``postgresql://user:password@host:port/database`` (also ``postgres://``,
    ``postgresql+asyncpg://``).

    ``pool_size``: connections for queue operations (plus one for LISTEN).
    ``poll_interval``: how often waits poll while the LISTEN connection is down.
    """
    parsed = make_url(url)
    if parsed.drivername not in _DRIVERS:
        raise ConfigError(f"queue URL {url!r}: expected postgresql:// or postgresql+asyncpg://")
    if not parsed.database:
        raise ConfigError(f"queue URL {url!r} names no database")
    if pool_size < 1 or poll_interval <= 0:
        raise ConfigError("postgres queue: pool_size must be >= 1 and poll_interval > 0")
    return PostgresQueue(
        parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False),
        pool_size=pool_size,
        poll_interval=poll_interval,
    )


class PostgresQueue(SQLQueue):
    """The queue in a PostgreSQL database."""

    def __init__(self, url: str, *, pool_size: int, poll_interval: float) -> None:
        super().__init__(url, "postgresql")
        self._pool_size = pool_size
        self._poll_interval = poll_interval
        self._wakeup = WakeUp()
        self._listener: asyncpg.Connection | None = None

    @property
    def _dsn(self) -> str:
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def connect(self) -> None:
        if self._engine_or_none is not None:
            return
        # Every use commits or rolls back explicitly: no reset round trip on return.
        engine = create_async_engine(
            self.url,
            pool_size=self._pool_size,
            max_overflow=0,
            pool_reset_on_return=None,
            connect_args={"server_settings": {"synchronous_commit": "off"}},
        )
        self._engine_or_none = engine
        try:
            with self._errors("connect"):
                async with engine.begin() as conn:
                    # Several processes may start at once; one creates the schema.
                    await conn.execute(text(f"SELECT pg_advisory_xact_lock(hashtext('{TABLE}'))"))
                    await conn.run_sync(metadata.create_all)
                    for ddl in POSTGRES_NOTIFY_DDL:
                        await conn.execute(text(ddl))
            await self._listen()
        except BaseException:
            await self.close()
            raise

    async def _listen(self) -> None:
        try:
            listener = await asyncpg.connect(self._dsn)
            await listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError) as exc:
            raise QueueError(f"queue LISTEN failed on {self.safe_url}: {exc}") from exc
        self._listener = listener
        # Anything enqueued while we were not listening is claimable now.
        self._wakeup.notify()

    def _on_notify(self, *_args: Any) -> None:
        self._wakeup.notify()

    async def close(self) -> None:
        await self._finish_batches()
        listener, self._listener = self._listener, None
        engine, self._engine_or_none = self._engine_or_none, None
        if listener is not None and not listener.is_closed():
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await listener.close(timeout=5)
        if engine is not None:
            await engine.dispose()

    @contextlib.asynccontextmanager
    async def _write(self, *, durable: bool = False) -> AsyncIterator[AsyncConnection]:
        # The pool's sessions commit without waiting for the WAL flush
        # (synchronous_commit=off): a server crash may forget the last
        # fraction of a second of claims, acks and heartbeats, which leases
        # turn into a re-run at worst. Enqueues and cancels wait for the flush:
        # an accepted request or a cancel is never forgotten.
        async with self._engine.begin() as conn:
            if durable:
                await conn.execute(_DURABLE)
            yield conn

    def _claimable(self, delay: float) -> None:
        return None  # the NOTIFY trigger wakes every listener on commit

    async def _wait(self, timeout: float) -> None:
        listener = self._listener
        if listener is not None and not listener.is_closed():
            await self._wakeup.wait(timeout)
            return
        if self._engine_or_none is not None:
            with contextlib.suppress(QueueError):
                await self._listen()
                log.info("queue LISTEN connection restored on %s", self.safe_url)
        await self._wakeup.wait(min(timeout, self._poll_interval))
