"""Every hook call, in ``reportflow_hook_calls``, written in batches off the request path.

A call is recorded once it is answered (a background action, once it ends).
Rows are buffered and written by one task every ``flush_seconds`` (or as soon
as a batch is full), so a burst of calls costs one INSERT per batch rather
than one round trip per call, and a slow database never delays an answer.
If the database is down the buffer is kept up to ``max_buffer`` rows; older
rows are dropped first, and the loss is logged.

On a SQLite file the batch is written on a worker thread, through a
``sqlite3`` connection of its own, as a few multi-row ``INSERT`` statements:
written on the event loop (``sqlite+inline``, as queries are) a batch was a
pause of every request in flight — SQLAlchemy's per-row work for an
``executemany`` made a 500-row batch a 10 ms pause — and an ``executemany``
on a thread would hand the GIL back and forth once per row, while one
statement of many rows releases it once while SQLite works. The rows are kept
as tuples in column order, with the timestamp in SQLAlchemy's own SQLite
format, so reading them back through the table is unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from reportflow.notifier.errors import NotifierError
from reportflow.notifier.history import MAX_LIMIT, async_url
from reportflow.store.engine import is_memory_sqlite

log = logging.getLogger(__name__)
BATCH = 500

metadata = sa.MetaData()
hook_calls = sa.Table(
    "reportflow_hook_calls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("hook", sa.String(100), nullable=False, index=True),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("client_ip", sa.String(45), nullable=True),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False, index=True),
    sa.Column("exit_code", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("duration_ms", sa.Float, nullable=False),
)


_COLUMNS = tuple(c.name for c in hook_calls.columns if c.name != "id")
#: Rows per SQLite statement: 900 parameters, under the 999 of SQLite before 3.32.
_SQLITE_ROWS = 100
_SQLITE_BUSY_SECONDS = 5.0


@functools.lru_cache(maxsize=8)
def _sqlite_insert(rows: int) -> str:
    one = f"({', '.join('?' * len(_COLUMNS))})"
    return f"INSERT INTO {hook_calls.name} ({', '.join(_COLUMNS)}) VALUES " + ",".join([one] * rows)


def _at_processor(dialect: sa.Dialect) -> Callable[[datetime], Any]:
    """How SQLAlchemy itself stores ``at`` on this dialect (a string, on SQLite)."""
    process = hook_calls.c.at.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)


class CallOutcome(StrEnum):
    """How one hook call ended."""

    SUCCEEDED = "succeeded"  # the action ran and succeeded (or there was none)
    ACCEPTED = "accepted"  # background action started (its own row follows when it ends)
    FAILED = "failed"  # the command exited non-zero, could not start, or a send failed
    TIMED_OUT = "timeout"  # the action ran past the hook's timeout and was stopped
    REJECTED = "rejected"  # auth, address, signature or trigger rule said no
    LIMITED = "limited"  # no slot and no room to wait (429)
    INVALID = "invalid"  # wrong method, body too large, malformed body
    UNKNOWN = "unknown"  # no hook has that id


@dataclass(slots=True)
class HookCall:
    """One row of the history."""

    hook: str
    method: str
    client_ip: str | None
    status_code: int
    outcome: CallOutcome
    exit_code: int | None
    error: str | None
    duration_ms: float
    at: datetime | None = None
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["outcome"] = self.outcome.value
        out["at"] = self.at.isoformat() if self.at else None
        return out


def _storable(text: str | None) -> str | None:
    """``text`` without NUL: PostgreSQL refuses it, and one such row (a caller's
    hook id, a command's output) would otherwise fail every batch after it."""
    return text.replace("\x00", "\ufffd") if text else text


def _sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL (None for any other database, or memory)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or is_memory_sqlite(parsed):
        return None
    return parsed.database


class HookCallLog:
    """Buffers calls and writes them in batches; creates the table on first use."""

    def __init__(self, url: str, *, flush_seconds: float = 0.5, max_buffer: int = 100_000) -> None:
        self.url = async_url(url)
        self.flush_seconds = flush_seconds
        self.max_buffer = max_buffer
        self.dropped = 0
        self._buffer: list[tuple[Any, ...]] = []
        self._engine: AsyncEngine | None = None
        self._sqlite_path = _sqlite_file(self.url)
        self._sqlite: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(self, call: HookCall) -> None:
        """Queue one call for writing (never blocks, never raises)."""
        # A plain tuple in _COLUMNS order, not dataclasses.asdict: that deep-copies.
        self._buffer.append(
            (
                call.at or datetime.now(UTC),
                _storable(call.hook),
                call.method,
                call.client_ip,
                call.status_code,
                call.outcome.value,
                call.exit_code,
                _storable(call.error),
                call.duration_ms,
            )
        )
        if len(self._buffer) > self.max_buffer:
            drop = len(self._buffer) - self.max_buffer
            del self._buffer[:drop]
            self.dropped += drop
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flusher())
        if len(self._buffer) >= BATCH:
            self._wake.set()

    async def _flusher(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_seconds):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except NotifierError as exc:
                log.warning("hook history not written (kept for the next try): %s", exc)

    async def flush(self) -> None:
        """Write everything buffered now."""
        async with self._lock:
            while self._buffer:
                batch = self._buffer[:BATCH]
                engine = await self._engine_ready()
                try:
                    if self._sqlite_path is not None:
                        stamp = _at_processor(engine.dialect)
                        rows = [(stamp(row[0]), *row[1:]) for row in batch]
                        await asyncio.to_thread(self._sqlite_write, rows)
                    else:
                        async with engine.begin() as conn:
                            mapped = [dict(zip(_COLUMNS, row, strict=True)) for row in batch]
                            await conn.execute(hook_calls.insert(), mapped)
                except (SQLAlchemyError, sqlite3.Error) as exc:
                    raise NotifierError(f"hook history {self._where()}: {_reason(exc)}") from exc
                del self._buffer[: len(batch)]

    def _sqlite_write(self, rows: list[tuple[Any, ...]]) -> None:
        """One transaction on the worker thread (calls are serialised by ``_lock``)."""
        if self._sqlite is None:
            assert self._sqlite_path is not None
            self._sqlite = sqlite3.connect(
                self._sqlite_path,
                timeout=_SQLITE_BUSY_SECONDS,
                isolation_level=None,  # BEGIN and COMMIT are ours
                check_same_thread=False,  # any worker thread, one at a time
            )
        conn = self._sqlite
        conn.execute("BEGIN IMMEDIATE")
        try:
            for start in range(0, len(rows), _SQLITE_ROWS):
                chunk = rows[start : start + _SQLITE_ROWS]
                conn.execute(_sqlite_insert(len(chunk)), [v for row in chunk for v in row])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    async def query(
        self, *, hook: str | None = None, outcome: CallOutcome | None = None, limit: int = 100
    ) -> list[HookCall]:
        """Newest first (what is buffered is written first, so it shows)."""
        await self.flush()
        engine = await self._engine_ready()
        stmt = sa.select(hook_calls).order_by(hook_calls.c.id.desc())
        if hook:
            stmt = stmt.where(hook_calls.c.hook == hook)
        if outcome is not None:
            stmt = stmt.where(hook_calls.c.outcome == outcome.value)
        stmt = stmt.limit(max(1, min(limit, MAX_LIMIT)))
        async with engine.connect() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        out = []
        for r in rows:
            item = dict(r)
            item["outcome"] = CallOutcome(item["outcome"])
            if item["at"] is not None and item["at"].tzinfo is None:
                item["at"] = item["at"].replace(tzinfo=UTC)  # SQLite drops the zone
            out.append(HookCall(**item))
        return out

    async def _engine_ready(self) -> AsyncEngine:
        if self._engine is None:
            if self._sqlite_path is not None:
                Path(self._sqlite_path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_async_engine(self.url)
            try:
                async with engine.begin() as conn:
                    await conn.run_sync(metadata.create_all)
            except (SQLAlchemyError, OSError) as exc:
                await engine.dispose()
                raise NotifierError(f"hook history {self._where()}: {_reason(exc)}") from exc
            self._engine = engine
        return self._engine

    def _where(self) -> str:
        return repr(self.url.split("@")[-1])  # never the password part of the URL

    async def aclose(self) -> None:
        """Write what is left and release the database."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.flush()
        except NotifierError as exc:
            log.error(
                "hook history: %d call(s) not written at shutdown: %s", len(self._buffer), exc
            )
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]
