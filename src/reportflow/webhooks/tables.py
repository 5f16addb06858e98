"""The outbox's two tables and the engine they live on.

Times are unix seconds in a double column: the same type and the same
comparisons on SQLite and PostgreSQL, with no time-zone conversions between
the runner's clock and the database's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from reportflow import sqlite_inline
from reportflow.errors import ConfigError

metadata = MetaData()

outbox = Table(
    "reportflow_webhook_outbox",
    metadata,
    Column("id", String(200), primary_key=True, comment="the webhook-id"),
    Column("endpoint", String(200), nullable=False, comment="the endpoint's name"),
    Column("payload", JSON, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("next_attempt_at", Double, nullable=False),
    Column("attempts", Integer, nullable=False, default=0, comment="all attempts, ever"),
    Column("state", String(16), nullable=False, comment="pending|delivered|dead|gone"),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    # A redelivery starts a new round with the full retry schedule; these two
    # say where in the schedule the current round is.
    Column("round_attempts", Integer, nullable=False, default=0),
    Column("round_started_at", Double, nullable=True),
    Index("ix_reportflow_webhook_outbox_due", "state", "next_attempt_at"),
)

attempts = Table(
    "reportflow_webhook_attempts",
    metadata,
    Column(
        "message_id",
        String(200),
        ForeignKey(outbox.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("attempt", Integer, primary_key=True, comment="1, 2, ... per message"),
    Column("at", Double, nullable=False),
    Column("status", Integer, nullable=True, comment="HTTP status; null: no response"),
    Column("latency_ms", Double, nullable=False),
    Column("error", Text, nullable=True),
)

_ASYNC_DRIVERS = {
    # Statements on the loop thread; a locked database is waited for without blocking it.
    "sqlite": f"sqlite+{sqlite_inline.DRIVER}",
    "sqlite+aiosqlite": f"sqlite+{sqlite_inline.DRIVER}",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def create_engine(url: str) -> AsyncEngine:
    """An async engine for a ``sqlite://`` or ``postgresql://`` URL (driver chosen here)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"outbox database url {url!r} is not a database URL") from exc
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ConfigError(
            f"outbox database url scheme {parsed.drivername!r} is not supported "
            "(use sqlite:// or postgresql://)"
        )
    parsed = parsed.set(drivername=driver)
    kwargs: dict[str, Any] = {}
    if driver.startswith("sqlite"):
        # SQLite has one writer; waiting for the lock beats failing with "locked".
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        if parsed.database in (None, "", ":memory:"):
            # One shared connection, or every connection sees its own empty database.
            kwargs["poolclass"] = StaticPool
    engine = create_async_engine(parsed, **kwargs)
    if driver.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        event.listen(engine.sync_engine, "connect", _sqlite_wal)
    return engine


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    """Write-ahead log: one fsync per commit instead of several (about 10x the
    commits per second), and readers never wait for the writer. ``synchronous``
    stays FULL, so a committed message survives a power cut."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
