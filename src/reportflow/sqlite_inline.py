"""``sqlite+inline://``: SQLAlchemy's async SQLite dialect, with statements run on the loop thread.

SQLAlchemy's ``aiosqlite`` dialect sends every cursor, execute, fetch and close
to aiosqlite's worker thread and back: three or four thread hops per
statement, about 270 µs of which the SQLite work is 2–5 µs (measured in
``docs/benchmarks.md``, "Pipeline and fan-out"). A statement on a local
SQLite file in WAL mode takes microseconds, far less than the hop, so this
dialect keeps SQLAlchemy's async API (``AsyncEngine``, ``AsyncConnection``)
and runs each call directly on the calling thread with the standard library's
``sqlite3``. No library offers this: aiosqlite is thread-based by design.

What this trades, and how reportflow keeps it safe:

- A statement blocks the event loop while it runs, so it must never wait
  inside SQLite for a lock. Connections open with a busy timeout of zero: a
  statement that finds the database locked fails at once with ``SQLITE_BUSY``,
  and this driver retries it after an asyncio sleep (1 ms, doubling up to
  50 ms) until ``timeout`` seconds have passed, while the loop goes on
  serving. The holder of the lock (another connection of this process, or
  another process) finishes meanwhile. Writers of one process also take turns
  on :mod:`reportflow.store.gate`, so they rarely meet the lock at all.
- Committing in WAL mode with ``synchronous=NORMAL`` writes to the WAL
  without fsync; the occasional automatic checkpoint does fsync, on the loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util.concurrency import await_

DRIVER = "inline"
DEFAULT_TIMEOUT = 30.0
_SQLITE_BUSY = 5
_FIRST_WAIT = 0.001
_LONGEST_WAIT = 0.05


def _busy(exc: sqlite3.OperationalError) -> bool:
    # Only plain SQLITE_BUSY: BUSY_SNAPSHOT and friends do not clear by waiting.
    return getattr(exc, "sqlite_errorcode", None) == _SQLITE_BUSY


async def _when_unlocked(timeout: float, call: Callable[..., Any], *args: Any) -> Any:
    """``call(*args)``, retried after asyncio sleeps while the database is locked."""
    deadline: float | None = None
    wait = _FIRST_WAIT
    while True:
        try:
            return call(*args)
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
            now = time.monotonic()
            deadline = deadline if deadline is not None else now + timeout
            if now >= deadline:
                raise
            await asyncio.sleep(min(wait, deadline - now))
            wait = min(wait * 2, _LONGEST_WAIT)


async def _nothing() -> None:
    return None


def _unlocked(timeout: float, call: Callable[..., Any], *args: Any) -> Any:
    """:func:`_when_unlocked` from SQLAlchemy's side of the adapter (a greenlet).

    SQLAlchemy insists that a statement awaits something (its guard against
    blocking drivers), so a statement makes one trivial await; a locked
    database is then waited for on the loop.
    """
    try:
        result = call(*args)
    except sqlite3.OperationalError as exc:
        if not _busy(exc):
            raise
        return await_(_when_unlocked(timeout, call, *args))
    await_(_nothing())
    return result


def run_on_driver(conn: Any, statement: str) -> None:
    """Run ``statement`` (a ``BEGIN ...``, a PRAGMA) on a SQLAlchemy connection's
    driver connection, outside SQLAlchemy's statement machinery.

    SQLAlchemy's recipe for taking over SQLite's BEGIN in a ``"begin"`` listener is
    ``conn.exec_driver_sql("BEGIN ...")`` in the listener. That is a whole
    statement execution (events, an execution context, a result) for every
    transaction, about a quarter of an empty write transaction's CPU here; the
    driver's cursor does the same work (a locked database included) for less.
    """
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


class BufferedRows:
    """A cursor's ``fetch*`` over the rows it read at execute (into ``_rows``)."""

    __slots__ = ()
    _rows: deque[Any]
    arraysize: int

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(self.arraysize if size is None else size, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


class Cursor(BufferedRows):
    """The DB-API cursor SQLAlchemy's async adapter hands out, run synchronously.

    SQLAlchemy's generic adapter awaits every call (a greenlet switch to the
    loop and back, and an asyncio lock, per execute, fetch and close); here
    each call goes straight to ``sqlite3``. Rows are read at execute, as the
    generic adapter does, so no statement stays open between calls.
    """

    __slots__ = ("_cursor", "_rows", "_timeout", "server_side")

    def __init__(self, cursor: sqlite3.Cursor, timeout: float) -> None:
        self._cursor = cursor
        self._rows: deque[Any] = deque()
        self._timeout = timeout
        self.server_side = False

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    def execute(self, sql: str, parameters: Any = None) -> None:
        args = (sql,) if parameters is None else (sql, parameters)
        _unlocked(self._timeout, self._cursor.execute, *args)
        if self._cursor.description is not None:
            self._rows = deque(self._cursor.fetchall())

    def executemany(self, sql: str, parameters: Sequence[Any]) -> None:
        _unlocked(self._timeout, self._cursor.executemany, sql, parameters)

    def close(self) -> None:
        self._rows.clear()
        self._cursor.close()

    async def _async_soft_close(self) -> None:
        """SQLAlchemy's hook for async cursors; the rows are read already."""

    def setinputsizes(self, *sizes: Any) -> None:
        return None

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()


class Connection:
    """The subset of aiosqlite's ``Connection`` that SQLAlchemy's adapter calls."""

    __slots__ = ("_connection", "_timeout")

    def __init__(self, conn: sqlite3.Connection, timeout: float) -> None:
        # aiosqlite's name: the adapter tests it to know whether the connection is open.
        self._connection: sqlite3.Connection | None = conn
        self._timeout = timeout

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    async def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        """For driver-level statements (``driver_connection.execute``, e.g. a PRAGMA)."""
        return await _when_unlocked(self._timeout, self._conn.execute, sql, parameters)  # type: ignore[no-any-return]

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


class _AdaptedConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite adapter, with cursors, commits and rollbacks run
    directly on the ``sqlite3`` connection."""

    __slots__ = ()

    def cursor(self, server_side: bool = False) -> Cursor:  # type: ignore[override]
        conn: Connection = self._connection  # type: ignore[assignment]
        return Cursor(conn._conn.cursor(), conn._timeout)

    def commit(self) -> None:
        conn: Connection = self._connection  # type: ignore[assignment]
        if conn._connection is not None:
            # A COMMIT that meets SQLITE_BUSY leaves the transaction open and may be retried.
            _unlocked(conn._timeout, conn._connection.commit)

    def rollback(self) -> None:
        conn: Connection = self._connection  # type: ignore[assignment]
        if conn._connection is not None:
            conn._connection.rollback()

    @property
    def isolation_level(self) -> str | None:
        return self._connection._conn.isolation_level  # type: ignore[no-any-return]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        # The aiosqlite adapter queues this onto aiosqlite's thread; here there is none.
        self._connection._conn.isolation_level = value


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _AdaptedConnection:
        kw.pop("async_creator_fn", None)
        timeout = float(kw.pop("timeout", DEFAULT_TIMEOUT))
        # The pool may close a connection from the garbage collector's thread.
        kw["check_same_thread"] = False
        # Never wait inside SQLite (that would block the loop): see _when_unlocked.
        conn: sqlite3.Connection = sqlite3.connect(*arg, timeout=0, **kw)  # type: ignore[call-overload]
        return _AdaptedConnection(self, Connection(conn, timeout))  # type: ignore[arg-type]


# The DB-API module SQLAlchemy's adapter reads exceptions and versions from.
_MODULE = SimpleNamespace(
    Connection=Connection,
    __version__=sqlite3.sqlite_version,
    **{
        name: getattr(sqlite3, name)
        for name in (
            "DatabaseError",
            "Error",
            "IntegrityError",
            "NotSupportedError",
            "OperationalError",
            "ProgrammingError",
            "sqlite_version",
            "sqlite_version_info",
        )
    },
)


class SQLiteDialect_inline(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True
    supports_server_side_cursors = False

    @classmethod
    def import_dbapi(cls) -> _DBAPI:
        return _DBAPI(_MODULE, sqlite3)  # type: ignore[arg-type]


registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_inline")
