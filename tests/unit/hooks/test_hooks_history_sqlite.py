"""The hook-call history on SQLite: rows written as plain tuples, on a worker thread, read
back whole; a failed write loses nothing."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from reportflow.notifier.errors import NotifierError
from reportflow.notifier.history import async_url
from reportflow.notifier.hooks import CallOutcome, HookCall, HookCallLog
from reportflow.notifier.hooks.history import hook_calls

AT = datetime(2026, 11, 28, 13, 45, 7, 123456, tzinfo=UTC)


async def test_every_field_round_trips(tmp_path: Path) -> None:
    log = HookCallLog(f"sqlite:///{tmp_path / 'h.db'}", flush_seconds=60)
    try:
        log.add(
            HookCall("deploy", "POST", "10.0.0.7", 500, CallOutcome.FAILED, 3, "bad\x00", 9.5, AT)
        )
        log.add(HookCall("deploy", "PUT", None, 200, CallOutcome.SUCCEEDED, 0, None, 0.25))
        rows = await log.query(hook="deploy")
    finally:
        await log.aclose()
    newest, oldest = rows
    assert (newest.method, newest.client_ip, newest.exit_code) == ("PUT", None, 0)
    assert newest.error is None
    assert newest.at is not None
    assert newest.at.tzinfo is UTC
    assert oldest.at == AT
    assert (oldest.status_code, oldest.outcome, oldest.exit_code) == (500, CallOutcome.FAILED, 3)
    assert (oldest.error, oldest.duration_ms, oldest.client_ip) == ("bad\ufffd", 9.5, "10.0.0.7")


async def test_timestamps_are_stored_as_sqlalchemy_stores_them(tmp_path: Path) -> None:
    """Rows from before (written through SQLAlchemy's insert) and after sort and read alike."""
    path = tmp_path / "h.db"
    log = HookCallLog(f"sqlite:///{path}", flush_seconds=60)
    try:
        log.add(HookCall("h", "POST", None, 200, CallOutcome.SUCCEEDED, None, None, 1.0, AT))
        await log.flush()
        engine = create_async_engine(async_url(f"sqlite:///{path}"))  # as the log did before
        async with engine.begin() as conn:
            await conn.execute(
                hook_calls.insert(),
                [
                    {
                        "at": AT,
                        "hook": "h",
                        "method": "POST",
                        "client_ip": None,
                        "status_code": 201,
                        "outcome": "succeeded",
                        "exit_code": None,
                        "error": None,
                        "duration_ms": 1.0,
                    }
                ],
            )
            stored = (await conn.execute(sa.select(hook_calls.c.at))).scalars().all()
        await engine.dispose()
        rows = await log.query(hook="h")
    finally:
        await log.aclose()
    assert [r.status_code for r in rows] == [201, 200]
    assert [r.at for r in rows] == [AT, AT]
    raw = sqlite3.connect(path).execute(f"SELECT at FROM {hook_calls.name}").fetchall()
    assert raw[0] == raw[1] == ("2026-11-28 13:45:07.123456",)
    assert stored == [AT.replace(tzinfo=None)] * 2


async def test_a_large_batch_is_written_whole_in_order_off_the_event_loop(tmp_path: Path) -> None:
    log = HookCallLog(f"sqlite:///{tmp_path / 'h.db'}", flush_seconds=60)
    threads: list[int] = []
    write = log._sqlite_write

    def spy(rows: list[tuple[object, ...]]) -> None:
        threads.append(threading.get_ident())
        write(rows)

    log._sqlite_write = spy  # type: ignore[method-assign]
    try:
        for i in range(1234):  # more than a batch, and than a statement's rows
            log.add(HookCall("bulk", "POST", None, 200 + i % 3, CallOutcome.SUCCEEDED, i, None, 1))
        await log.flush()
    finally:
        await log.aclose()
    with sqlite3.connect(tmp_path / "h.db") as db:
        stored = db.execute(f"SELECT exit_code FROM {hook_calls.name} ORDER BY id").fetchall()
    assert stored == [(i,) for i in range(1234)]
    assert threads
    assert threading.get_ident() not in threads


async def test_a_failed_write_keeps_the_rows_for_the_next_try(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    log = HookCallLog(f"sqlite:///{path}", flush_seconds=60)
    try:
        log.add(HookCall("a", "POST", None, 200, CallOutcome.SUCCEEDED, 1, None, 1))
        await log.flush()
        with sqlite3.connect(path) as other:
            other.execute(f"ALTER TABLE {hook_calls.name} RENAME TO parked")
        log.add(HookCall("a", "POST", None, 200, CallOutcome.SUCCEEDED, 2, None, 1))
        with pytest.raises(NotifierError, match="no such table"):
            await log.flush()
        with sqlite3.connect(path) as other:
            other.execute(f"ALTER TABLE parked RENAME TO {hook_calls.name}")
        rows = await log.query(hook="a")
    finally:
        await log.aclose()
    assert [r.exit_code for r in rows] == [2, 1]
