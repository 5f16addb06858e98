"""The SQLite backend: one database file, any number of processes on one machine.

Writers serialise on SQLite's database lock: every write transaction starts
with ``BEGIN IMMEDIATE`` so a claim never upgrades a read lock mid-way (the
cause of ``database is locked`` under concurrency). Inside one process the
queue's writers take turns with the store's on the file's write gate
(:mod:`reportflow.store.gate`) instead of meeting the lock; a BEGIN that meets
another process's lock is tried again after asyncio sleeps for up to
``busy_timeout``. Statements run on a sync connection behind the
``AsyncConnection`` API, without SQLAlchemy's greenlet layer
(:mod:`reportflow.store.inline`).

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

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from reportflow import sqlite_inline
from reportflow.errors import ConfigError, QueueError
from reportflow.queue.sql_queue import SQLQueue
from reportflow.queue.sql_schema import metadata
from reportflow.queue.wakeup import WakeUp
from reportflow.store.inline import InlineDatabase

DEFAULT_POLL_INTERVAL = 0.5
DEFAULT_BUSY_TIMEOUT = 10.0

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
        # Transactions run on a sync engine on the same file (reportflow.store.inline).
        self._inline: InlineDatabase | None = None

    async def connect(self) -> None:
        if self._engine_or_none is not None:
            return
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        # Statements run on the sync engine of InlineDatabase; this one only owns
        # the connections handed out (an InlineConnection is an AsyncConnection).
        engine = create_async_engine(f"sqlite+{sqlite_inline.DRIVER}:///{self.path}")
        self._engine_or_none = engine
        self._inline = InlineDatabase(engine, self.path, timeout=self._busy_timeout)
        with self._errors("connect"):
            async with self._write() as conn:
                await conn.run_sync(metadata.create_all)
        _local_wakeups.setdefault(self.path, weakref.WeakSet()).add(self._wakeup)

    async def close(self) -> None:
        await self._finish_batches()
        engine, self._engine_or_none = self._engine_or_none, None
        inline, self._inline = self._inline, None
        local = _local_wakeups.get(self.path)
        if local is not None:
            local.discard(self._wakeup)
        if inline is not None:
            inline.dispose()
        if engine is not None:
            await engine.dispose()

    @contextlib.asynccontextmanager
    async def _write(self, *, durable: bool = False) -> AsyncIterator[AsyncConnection]:
        async with self._connected().write(durable=durable) as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        async with self._connected().read() as conn:
            yield conn

    def _connected(self) -> InlineDatabase:
        if self._inline is None:
            raise QueueError(f"queue {self.safe_url} is not connected (call connect() first)")
        return self._inline

    def _claimable(self, delay: float) -> None:
        if delay > 0:
            return  # due later: claimers find it on their poll
        for wakeup in list(_local_wakeups.get(self.path, ())):
            wakeup.notify()

    async def _wait(self, timeout: float) -> None:
        await self._wakeup.wait(min(timeout, self._poll_interval))
