"""The store: one async engine, transactions, migrations at open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from reportflow.aftercommit import collect
from reportflow.sqlite_inline import run_on_driver
from reportflow.store.engine import SQLITE_BUSY_TIMEOUT_SECONDS, create_engine
from reportflow.store.gate import sqlite_path, write_gate
from reportflow.store.inline import BEGIN_OPTION as _BEGIN_OPTION
from reportflow.store.inline import InlineDatabase, read_transaction
from reportflow.store.migrate import migrate_engine


def _take_over_sqlite_begin(engine: AsyncEngine) -> None:
    """Let the store choose BEGIN IMMEDIATE for writing transactions on SQLite.

    A deferred SQLite transaction that reads and then writes cannot wait for
    the write lock (it fails at once with "database is locked"); starting
    writers with BEGIN IMMEDIATE makes them queue on busy_timeout instead.
    This is SQLAlchemy's documented recipe for pysqlite/aiosqlite.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _no_driver_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        run_on_driver(conn, f"BEGIN {mode}")


class Store:
    """The requestor's database: users, tokens, sessions, reports, event log.

    Queries live in :mod:`reportflow.store.users`, :mod:`~reportflow.store.reports`
    and :mod:`~reportflow.store.events` and take the connection of a
    :meth:`transaction`, so one request's writes (and the queue job, when the
    queue shares the database) commit together.
    """

    def __init__(self, url: str, engine: AsyncEngine) -> None:
        self.url = url
        self.engine = engine
        self.dialect = engine.dialect.name
        self._writer = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        self._gate_path = sqlite_path(engine.url)
        # On a SQLite file, transactions run on a sync engine (reportflow.store.inline).
        self._inline = (
            None
            if self._gate_path is None
            else InlineDatabase(engine, self._gate_path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        )

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connect to ``url`` (``sqlite:///...`` or ``postgresql://...``) and migrate."""
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            _take_over_sqlite_begin(engine)
        store = cls(url, engine)
        if migrate:
            try:
                await migrate_engine(engine)
            except BaseException:
                await engine.dispose()
                raise
        return store

    async def close(self) -> None:
        if self._inline is not None:
            self._inline.dispose()
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A writing transaction: commits on success, rolls back on error.

        On SQLite, writers of this process take turns on the file's write gate
        (:mod:`reportflow.store.gate`) rather than in SQLite's busy handler.
        Callbacks registered with :func:`reportflow.aftercommit.after_commit`
        run after the commit.
        """
        if self._inline is not None:
            async with self._inline.write() as inline:
                committed = collect(inline)
                yield inline
        else:
            async with write_gate(self._gate_path), self._writer.begin() as conn:
                committed = collect(conn)
                yield conn
        for callback in committed:
            callback()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (no write lock on SQLite)."""
        async with read_transaction(self.engine, self._inline) as conn:
            yield conn

    async def ping(self) -> None:
        """Raise when the database cannot answer."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
