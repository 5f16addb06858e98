"""The SQLite backend: one database file, any number of processes on one machine.

Writers serialise on SQLite's database lock: every write transaction starts
with ``BEGIN IMMEDIATE`` so a claim never upgrades a read lock mid-way (the
cause of ``database is locked`` under concurrency). Inside one process the
engine keeps a single connection, so this process's claims, acks and
heartbeats queue on an asyncio lock instead of sleeping in SQLite's busy
handler; other processes wait through ``busy_timeout``.

The journal is WAL with ``synchronous=NORMAL`` (a commit is durable against a
crash of the process, not of the machine), except enqueues, which commit with
``synchronous=FULL``: an acknowledged request survives power loss, while a lost
ack or heartbeat at worst runs a job again, which leases allow anyway.

Wake-ups: an in-process signal per database file (every queue object on that
file in this process wakes at once), and a short poll for other processes.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from reportflow import sqlite_inline
from reportflow.errors import ConfigError, QueueError
from reportflow.queue.sql_queue import SQLQueue
from reportflow.queue.sql_schema import metadata
from reportflow.queue.wakeup import WakeUp

DEFAULT_POLL_INTERVAL = 0.5
DEFAULT_BUSY_TIMEOUT = 10.0
_READ_ONLY = "reportflow_read_only"

# database file -> wake-ups of the queue objects open on it in this process
_local_wakeups: dict[str, weakref.WeakSet[WakeUp]] = {}


def from_url(
    url: str,
    *,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
) -> SQLiteQueue:
    """``sqlite:///relative.db`` or ``sqlite:////absolute.db`` (also ``sqlite+aiosqlite``).

    ``poll_interval``: how often a waiting claimer looks for work enqueued by
    other processes. ``busy_timeout``: how long a write waits for another
    process's lock before failing.
    """
    parsed = make_url(url)
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ConfigError(
            f"queue URL {url!r} needs a database file path (use memory:// for an in-memory queue)"
        )
    if poll_interval <= 0 or busy_timeout <= 0:
        raise ConfigError("sqlite queue: poll_interval and busy_timeout must be > 0")
    return SQLiteQueue(
        url,
        path=os.path.abspath(database),
        poll_interval=poll_interval,
        busy_timeout=busy_timeout,
    )


class SQLiteQueue(SQLQueue):
    """The queue in a SQLite database file."""

    def __init__(self, url: str, *, path: str, poll_interval: float, busy_timeout: float) -> None:
        super().__init__(url, "sqlite")
        self.path = path
        self._poll_interval = poll_interval
        self._busy_timeout = busy_timeout
        self._wakeup = WakeUp()
        self._reader: AsyncEngine | None = None

    async def connect(self) -> None:
        if self._engine_or_none is not None:
            return
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        engine = create_async_engine(
            f"sqlite+{sqlite_inline.DRIVER}:///{self.path}",
            connect_args={"timeout": self._busy_timeout},
            pool_size=1,
            max_overflow=0,
            pool_reset_on_return=None,  # every use commits or rolls back itself
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            # Transactions are started by the "begin" hook below, not the driver.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            # Reads take no write lock, so they never wait for a writer (WAL).
            read = conn.get_execution_options().get(_READ_ONLY, False)
            sqlite_inline.begin_on_driver(conn, "BEGIN" if read else "BEGIN IMMEDIATE")

        self._engine_or_none = engine
        self._reader = engine.execution_options(**{_READ_ONLY: True})
        with self._errors("connect"):
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
        _local_wakeups.setdefault(self.path, weakref.WeakSet()).add(self._wakeup)

    async def close(self) -> None:
        await self._finish_batches()
        engine, self._engine_or_none = self._engine_or_none, None
        self._reader = None
        local = _local_wakeups.get(self.path)
        if local is not None:
            local.discard(self._wakeup)
        if engine is not None:
            await engine.dispose()

    @contextlib.asynccontextmanager
    async def _write(self, *, durable: bool = False) -> AsyncIterator[AsyncConnection]:
        async with self._engine.connect() as conn:
            if not durable:
                async with conn.begin():
                    yield conn
                return
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.execute("PRAGMA synchronous = FULL")
            try:
                async with conn.begin():
                    yield conn
            finally:
                await driver.execute("PRAGMA synchronous = NORMAL")

    @contextlib.asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        if self._reader is None:
            raise QueueError(f"queue {self.safe_url} is not connected (call connect() first)")
        async with self._reader.connect() as conn:
            yield conn

    def _claimable(self, delay: float) -> None:
        if delay > 0:
            return  # due later: claimers find it on their poll
        for wakeup in list(_local_wakeups.get(self.path, ())):
            wakeup.notify()

    async def _wait(self, timeout: float) -> None:
        await self._wakeup.wait(min(timeout, self._poll_interval))
