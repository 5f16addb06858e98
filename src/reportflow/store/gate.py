"""One writer at a time per SQLite file, within this process.

SQLite lets one connection write at a time. When several connections of one
process (the store's pool, the queue's, the webhook outbox's) collide on the
write lock, the loser sleeps in SQLite's busy handler, which backs off in
steps of up to 100 ms and has no notion of fairness: under load, writers
starve for seconds, heartbeats miss their leases and requests time out.
Queuing the writers of one process on an asyncio lock instead hands the
database from one writer to the next without sleeping; ``busy_timeout`` is
left for writers in *other* processes, which this lock cannot see.

Re-entry is safe: a task (or a task it started) that already holds the gate
for a file passes straight through, so nesting can never deadlock on the gate
itself.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from contextvars import ContextVar

from sqlalchemy.engine import URL

# Locks are bound to the loop they first wait on; tests run many loops in one process.
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)
_held: ContextVar[frozenset[str]] = ContextVar("reportflow_sqlite_gates_held", default=frozenset())


def sqlite_path(url: URL) -> str | None:
    """The absolute path of a SQLite database file, or None (not SQLite, or in memory)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database)


def _lock(path: str) -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    per_loop = _gates.setdefault(loop, {})
    lock = per_loop.get(path)
    if lock is None:
        lock = per_loop[path] = asyncio.Lock()
    return lock


@asynccontextmanager
async def sqlite_writer(path: str) -> AsyncIterator[None]:
    """Hold the write gate of the SQLite file at ``path`` (absolute) for the block."""
    held = _held.get()
    if path in held:
        yield
        return
    async with _lock(path):
        token = _held.set(held | {path})
        try:
            yield
        finally:
            _held.reset(token)


def write_gate(path: str | None) -> AbstractAsyncContextManager[None]:
    """:func:`sqlite_writer` for a SQLite file; a no-op for anything else (``None``)."""
    if path is None:
        return nullcontext()
    return sqlite_writer(path)
