"""The hook-call history on SQLite: rows written as plain tuples read back whole."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

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
