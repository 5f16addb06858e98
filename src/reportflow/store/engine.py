"""Database URLs and engines for the store: SQLite and Postgres (asyncpg).

People write the URLs they know (``sqlite:///x.db``, ``postgresql://...``); the
store picks the async driver for the app and a sync driver for Alembic.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from reportflow import sqlite_inline
from reportflow.errors import ConfigError

_ASYNC_DRIVERS = {"sqlite": f"sqlite+{sqlite_inline.DRIVER}", "postgresql": "postgresql+asyncpg"}
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"store URL {url!r} is not a database URL") from exc
    if parsed.get_backend_name() not in _ASYNC_DRIVERS:
        raise ConfigError(
            f"store URL {url!r}: unsupported database {parsed.get_backend_name()!r} "
            "(use sqlite:/// or postgresql://)"
        )
    return parsed


def async_url(url: str) -> URL:
    """The URL with the async driver the app uses."""
    parsed = _parse(url)
    return parsed.set(drivername=_ASYNC_DRIVERS[parsed.get_backend_name()])


def sync_url(url: str) -> URL:
    """The URL with the sync driver Alembic uses."""
    parsed = _parse(url)
    return parsed.set(drivername=_SYNC_DRIVERS[parsed.get_backend_name()])


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer. (A locked database is waited
    # for by the driver, without blocking the loop: see reportflow.sqlite_inline.)
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url`` with the pragmas and pool the store needs."""
    target = async_url(url)
    kwargs: dict[str, Any] = {}
    if target.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    if is_memory_sqlite(target):
        # One shared connection, or every new connection sees an empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_async_engine(target, **kwargs)
    if target.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine
