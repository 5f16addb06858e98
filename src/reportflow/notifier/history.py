"""The notification history: every send and its outcome, in ``reportflow_notifications``.

Alertmanager keeps no record of what it notified; this table is that record,
readable through ``GET /api/v1/notifications``. SQLAlchemy async, so SQLite
(the embedded default) and PostgreSQL work alike.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from reportflow import sqlite_inline
from reportflow.notifier.errors import NotifierError

MAX_LIMIT = 1000

metadata = sa.MetaData()
notifications = sa.Table(
    "reportflow_notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("receiver", sa.String(200), nullable=False),
    sa.Column("channel_type", sa.String(20), nullable=False),
    sa.Column("channel_name", sa.String(200), nullable=False),
    sa.Column("alertname", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("group_key", sa.Text, nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("latency_ms", sa.Float, nullable=False),
)


class Outcome(StrEnum):
    """What happened to one notification on one channel."""

    SENT = "sent"  # the channel accepted it
    FAILED = "failed"  # every attempt failed (or a template/config error)
    DEDUPLICATED = "deduplicated"  # a repeat inside the dedupe window; nothing sent


@dataclass(slots=True)
class NotificationRecord:
    """One row of the history."""

    receiver: str
    channel_type: str
    channel_name: str
    alertname: str
    status: str
    group_key: str
    outcome: Outcome
    attempts: int
    error: str | None
    latency_ms: float
    at: datetime | None = None
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["outcome"] = self.outcome.value
        out["at"] = self.at.isoformat() if self.at else None
        return out


def async_url(url: str) -> str:
    """Pick the async driver for a plain ``sqlite://`` or ``postgresql://`` URL."""
    for plain, driver in (
        # SQLite statements on the loop thread (reportflow.sqlite_inline).
        ("sqlite://", f"sqlite+{sqlite_inline.DRIVER}://"),
        ("sqlite+aiosqlite://", f"sqlite+{sqlite_inline.DRIVER}://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def _make_sqlite_dir(url: str) -> None:
    # The embedded default lives under ``home``, which may not exist yet.
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class NotificationLog:
    """Writes and reads the history table; creates it on first use."""

    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        self._engine: AsyncEngine | None = None
        self._ready = asyncio.Lock()

    async def _engine_ready(self) -> AsyncEngine:
        async with self._ready:
            if self._engine is None:
                _make_sqlite_dir(self.url)
                engine = create_async_engine(self.url)
                try:
                    async with engine.begin() as conn:
                        await conn.run_sync(metadata.create_all)
                except (SQLAlchemyError, OSError) as exc:
                    await engine.dispose()
                    # Only the host part of the URL: it may carry a password.
                    where = self.url.split("@")[-1]
                    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
                    raise NotifierError(f"notification history {where!r}: {reason}") from exc
                self._engine = engine
            return self._engine

    async def record(self, rows: list[NotificationRecord]) -> None:
        if not rows:
            return
        engine = await self._engine_ready()
        now = datetime.now(UTC)
        values = []
        for row in rows:
            row.at = row.at or now
            item = asdict(row)
            item.pop("id")
            item["outcome"] = row.outcome.value
            values.append(item)
        async with engine.begin() as conn:
            await conn.execute(notifications.insert(), values)

    async def query(
        self, *, channel: str | None = None, outcome: Outcome | None = None, limit: int = 100
    ) -> list[NotificationRecord]:
        """Newest first; ``channel`` matches the channel's type or its name."""
        engine = await self._engine_ready()
        stmt = sa.select(notifications).order_by(notifications.c.id.desc())
        if channel:
            stmt = stmt.where(
                sa.or_(
                    notifications.c.channel_type == channel, notifications.c.channel_name == channel
                )
            )
        if outcome is not None:
            stmt = stmt.where(notifications.c.outcome == outcome.value)
        stmt = stmt.limit(max(1, min(limit, MAX_LIMIT)))
        async with engine.connect() as conn:
            result = await conn.execute(stmt)
            rows = result.mappings().all()
        out = []
        for r in rows:
            item = dict(r)
            item["outcome"] = Outcome(item["outcome"])
            if item["at"] is not None and item["at"].tzinfo is None:
                item["at"] = item["at"].replace(tzinfo=UTC)  # SQLite drops the zone
            out.append(NotificationRecord(**item))
        return out

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
