"""SQLite transactions without SQLAlchemy's greenlet layer (the store, the queue, the outbox).

On SQLite every statement already runs on the loop thread (``sqlite+inline``),
yet each one still passes through SQLAlchemy's async machinery: a greenlet
spawned per statement and per begin, commit and close, the async adapter's
cursor, and a trivial await per statement that SQLAlchemy requires. For the
store's short transactions that machinery is most of the cost:
``python -m bench.pipeline.txncost`` measured a 4-UPDATE-and-1-SELECT
transaction at about 3× the CPU through ``AsyncConnection`` than through
SQLAlchemy's plain sync engine on ``sqlite3`` (docs/benchmarks.md).

So on a SQLite file the store, the queue and the webhook outbox each keep a
second, synchronous engine on the same file (:class:`InlineDatabase`), and
their transactions hand out an :class:`InlineConnection`: an
``AsyncConnection`` (every query function keeps its signature) whose
``execute`` runs the statement directly on the sync connection.
``run_sync`` and ``begin_nested`` keep working as SQLAlchemy defines them.
A statement executed again and again (the module constants) skips even the
sync engine's per-call work and goes to ``sqlite3`` directly
(:mod:`reportflow.store.direct`).

What keeps it safe — the same rules as ``reportflow.sqlite_inline``:

- Nothing waits inside SQLite: the sync connections have a busy timeout of
  zero. A writer takes the lock at its ``BEGIN IMMEDIATE``; when another
  process holds it, the BEGIN fails at once and is tried again after an
  asyncio sleep (1 ms doubling to 50 ms, up to the busy timeout) while the
  loop serves everything else. Once begun, a writer's statements cannot meet
  the lock. Writers of this process still take turns on the write gate.
- A reading transaction holds no lock; a statement that nevertheless finds
  the database busy (WAL recovery by another process) is retried the same
  way, which is safe because a read changes nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, Connection, CursorResult, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from reportflow.sqlite_inline import BufferedRows, run_on_driver
from reportflow.store.direct import DirectResult, Planner, run, run_many
from reportflow.store.gate import write_gate

#: The execution option by which the store's async engine picks its BEGIN (store.py).
BEGIN_OPTION = "reportflow_sqlite_begin"
_SQLITE_BUSY = 5
_FIRST_WAIT, _LONGEST_WAIT = 0.001, 0.05


_Locked = OperationalError | sqlite3.OperationalError
"""A locked database: SQLAlchemy wraps the driver's error, except when it comes
from a "begin" listener (the BEGIN IMMEDIATE)."""


def _busy(exc: _Locked) -> bool:
    # Only plain SQLITE_BUSY: BUSY_SNAPSHOT and friends do not clear by waiting.
    driver = exc.orig if isinstance(exc, OperationalError) else exc
    return getattr(driver, "sqlite_errorcode", None) == _SQLITE_BUSY


class _Backoff:
    """Asyncio sleeps between tries while the database is locked, until ``timeout``."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._deadline: float | None = None
        self._wait = _FIRST_WAIT

    async def wait_or_raise(self, exc: _Locked) -> None:
        if not _busy(exc):
            raise exc
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self.timeout
        if now >= self._deadline:
            raise exc
        await asyncio.sleep(min(self._wait, self._deadline - now))
        self._wait = min(self._wait * 2, _LONGEST_WAIT)


class _PrefetchingCursor(BufferedRows, sqlite3.Cursor):
    """Reads a statement's rows at execute, as SQLAlchemy's async adapters do.

    A result left partly read keeps its statement open in SQLite, and an open
    statement stops a SAVEPOINT from being released; with the rows read at
    once, results behave as they do on ``AsyncConnection``.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        super().__init__(connection)
        self._rows: deque[Any] = deque()

    def execute(self, sql: str, parameters: Any = (), /) -> _PrefetchingCursor:
        super().execute(sql, parameters)
        # sqlite3's own fetchall: super()'s is BufferedRows', which reads the buffer.
        rows = sqlite3.Cursor.fetchall(self) if self.description is not None else []
        self._rows = deque(rows)
        return self

    def __iter__(self) -> _PrefetchingCursor:
        return self

    def __next__(self) -> Any:
        if not self._rows:
            raise StopIteration
        return self._rows.popleft()


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _PrefetchingCursor) -> Any:
        return super().cursor(factory)


def create_inline_engine(
    url: URL, *, synchronous: str = "NORMAL", foreign_keys: bool = True
) -> Engine:
    """A sync engine on the SQLite file at ``url`` in WAL mode, with the given
    ``synchronous`` level and foreign-key enforcement (as its async twin has)."""

    def _configure(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # BEGIN comes from the listener below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    def _begin(conn: Connection) -> None:
        # A transaction of this module began on the driver already; SQLAlchemy
        # then only keeps its own books (its autobegin before a statement).
        if not conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            run_on_driver(conn, "BEGIN")

    engine = create_sync_engine(
        url.set(drivername="sqlite"),
        # Never wait inside SQLite (that would block the loop); the pool may
        # close a connection from the garbage collector's thread.
        connect_args={"timeout": 0, "check_same_thread": False, "factory": _Connection},
        # A checkout must never wait: it would block the loop that the holder
        # of a connection needs in order to give it back.
        pool_size=5,
        max_overflow=-1,
    )
    event.listen(engine, "connect", _configure)
    event.listen(engine, "begin", _begin)
    return engine


class InlineConnection(AsyncConnection):
    """An ``AsyncConnection`` whose ``execute`` runs on its sync connection directly."""

    def __init__(
        self,
        async_engine: AsyncEngine,
        sync_connection: Connection,
        *,
        raw: sqlite3.Connection,
        read_only: bool,
        timeout: float,
        planner: Planner,
    ) -> None:
        super().__init__(async_engine, sync_connection)
        self._raw = raw
        self._read_only = read_only
        self._timeout = timeout
        self._planner = planner
        self._cursor: sqlite3.Cursor | None = None

    async def execute(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: Any = None,
    ) -> CursorResult[Any]:
        backoff: _Backoff | None = None
        while True:
            try:
                if execution_options is None:
                    done = self._direct(statement, parameters)
                    if done is not None:
                        return done  # type: ignore[return-value]  # the same Result API
                return self._proxied.execute(
                    statement, parameters, execution_options=execution_options
                )
            except OperationalError as exc:
                if not self._read_only:
                    raise
                backoff = backoff or _Backoff(self._timeout)
                await backoff.wait_or_raise(exc)

    def _direct(self, statement: Any, parameters: Any) -> DirectResult | None:
        """``statement`` run by :mod:`reportflow.store.direct`, or None: use SQLAlchemy."""
        many = isinstance(parameters, list) and parameters and isinstance(parameters[0], dict)
        if not many and not isinstance(parameters, dict | None):
            return None
        first = parameters[0] if many else parameters or {}
        plan = self._planner.plan(statement, first)
        if plan is None:
            return None
        if self._cursor is None:
            self._cursor = self._raw.cursor(sqlite3.Cursor)
        if many:
            return run_many(plan, self._cursor, parameters)
        return run(plan, self._cursor, first)


class _KeptConnections:
    """Sync connections kept between transactions instead of going back to the pool.

    A pool checkout and checkin (with its reset), a new ``Connection`` and
    SQLAlchemy's begin and commit bookkeeping cost about as much as a short
    transaction's statements; a kept connection skips them, and its
    transactions begin and end on the driver. Up to ``keep`` are kept (more
    are open only while that many transactions are).
    """

    def __init__(self, engine: Engine, keep: int = 8) -> None:
        self._engine = engine
        self._keep = keep
        self._free: list[Connection] = []

    def take(self) -> Connection:
        return self._free.pop() if self._free else self._engine.connect()

    def give(self, conn: Connection) -> None:
        if len(self._free) < self._keep and not conn.invalidated and not conn.in_transaction():
            self._free.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        while self._free:
            self._free.pop().close()


@asynccontextmanager
async def inline_transaction(
    async_engine: AsyncEngine,
    kept: _KeptConnections,
    *,
    begin: str,
    timeout: float,
    read_only: bool,
    planner: Planner,
    durable: bool = False,
) -> AsyncIterator[InlineConnection]:
    """A transaction on a kept connection, begun with ``begin`` (``BEGIN IMMEDIATE``
    for a writer): commits on success, rolls back on error. ``durable``: this
    commit is synchronous=FULL (fsynced) on a connection that is otherwise NORMAL."""
    backoff = _Backoff(timeout)
    while True:
        try:
            # A new connection switches the file to WAL, which needs it alone for
            # a moment: another process's lock on a fresh file is waited out too.
            sync_conn = kept.take()
            break
        except (OperationalError, sqlite3.OperationalError) as exc:
            await backoff.wait_or_raise(exc)
    raw: sqlite3.Connection = sync_conn.connection.dbapi_connection  # type: ignore[assignment]
    try:
        if durable:
            raw.execute("PRAGMA synchronous = FULL")
        while True:
            try:
                raw.execute(begin)
                break
            except sqlite3.OperationalError as exc:
                await backoff.wait_or_raise(exc)
        try:
            yield InlineConnection(
                async_engine,
                sync_conn,
                raw=raw,
                read_only=read_only,
                timeout=timeout,
                planner=planner,
            )
            _end(sync_conn, raw, commit=True)
        except BaseException:
            _end(sync_conn, raw, commit=False)
            raise
    finally:
        try:
            if durable:
                raw.execute("PRAGMA synchronous = NORMAL")
        finally:
            kept.give(sync_conn)


def _end(sync_conn: Connection, raw: sqlite3.Connection, *, commit: bool) -> None:
    if sync_conn.in_transaction():  # SQLAlchemy began its own books (a fallback statement)
        sync_conn.commit() if commit else sync_conn.rollback()
        return
    try:
        raw.commit() if commit else raw.rollback()
    except sqlite3.Error as exc:  # raised as SQLAlchemy would raise it
        raise DBAPIError.instance(
            "COMMIT" if commit else "ROLLBACK", None, exc, sqlite3.Error
        ) from exc


class InlineDatabase:
    """One owner's transactions on a SQLite file through a sync engine.

    ``write`` takes the file's write gate, then ``BEGIN IMMEDIATE``; ``read``
    takes no lock. ``async_engine`` is the owner's own engine on the same file:
    the connections handed out belong to it, as ``AsyncConnection`` requires.
    """

    def __init__(
        self,
        async_engine: AsyncEngine,
        path: str,
        *,
        timeout: float,
        synchronous: str = "NORMAL",
        foreign_keys: bool = True,
    ) -> None:
        self.async_engine = async_engine
        self.path = path
        self.timeout = timeout
        self.engine = create_inline_engine(
            make_url(f"sqlite:///{path}"), synchronous=synchronous, foreign_keys=foreign_keys
        )
        self._kept = _KeptConnections(self.engine)
        self.planner = Planner(self.engine.dialect)

    @asynccontextmanager
    async def write(self, *, durable: bool = False) -> AsyncIterator[InlineConnection]:
        async with (
            write_gate(self.path),
            self._transaction("BEGIN IMMEDIATE", read_only=False, durable=durable) as conn,
        ):
            yield conn

    def read(self) -> AbstractAsyncContextManager[InlineConnection]:
        return self._transaction("BEGIN", read_only=True)

    def _transaction(
        self, begin: str, *, read_only: bool, durable: bool = False
    ) -> AbstractAsyncContextManager[InlineConnection]:
        return inline_transaction(
            self.async_engine,
            self._kept,
            begin=begin,
            timeout=self.timeout,
            read_only=read_only,
            planner=self.planner,
            durable=durable,
        )

    def dispose(self) -> None:
        self._kept.close()
        self.engine.dispose()


@asynccontextmanager
async def read_transaction(
    engine: AsyncEngine, inline: InlineDatabase | None
) -> AsyncIterator[AsyncConnection]:
    """A read on ``inline`` when there is one (a SQLite file), else on ``engine``."""
    if inline is not None:
        async with inline.read() as conn:
            yield conn
        return
    async with engine.connect() as plain:
        yield plain
