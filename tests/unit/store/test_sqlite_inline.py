"""sqlite+inline: SQLAlchemy's async API on sqlite3, waiting for locks without blocking the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from reportflow import sqlite_inline

metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True), Column("v", String))


async def _engine(path: Path, timeout: float = 5.0) -> AsyncEngine:
    engine = create_async_engine(
        f"sqlite+{sqlite_inline.DRIVER}:///{path}", connect_args={"timeout": timeout}
    )
    async with engine.begin() as conn:
        await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        await conn.run_sync(metadata.create_all)
    return engine


async def test_statements_results_and_errors_behave_as_with_any_driver(tmp_path: Path) -> None:
    engine = await _engine(tmp_path / "a.db")
    async with engine.begin() as conn:
        await conn.execute(insert(items), [{"id": 1, "v": "one"}, {"id": 2, "v": "two"}])
        rows = (await conn.execute(select(items).order_by(items.c.id))).all()
    assert [tuple(r) for r in rows] == [(1, "one"), (2, "two")]
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(items), {"id": 1, "v": "again"})
    async with engine.connect() as conn:  # the failed transaction was rolled back
        assert (await conn.execute(select(items.c.v).where(items.c.id == 1))).scalar() == "one"
    await engine.dispose()


async def test_a_locked_database_is_waited_for_while_the_loop_keeps_running(
    tmp_path: Path,
) -> None:
    path = tmp_path / "b.db"
    engine = await _engine(path)
    holder = sqlite3.connect(path, isolation_level=None)  # another process, as SQLite sees it
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO items VALUES (10, 'held')")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(insert(items), {"id": 11, "v": "mine"})

    clock = asyncio.create_task(ticker())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writing.done()  # still waiting for the lock...
    assert ticks >= 20  # ...while the loop ran other tasks all along
    holder.execute("COMMIT")
    await asyncio.wait_for(writing, 2)
    clock.cancel()
    async with engine.connect() as conn:
        ids = (await conn.execute(select(items.c.id).order_by(items.c.id))).scalars().all()
    assert list(ids) == [10, 11]
    holder.close()
    await engine.dispose()


async def test_waiting_ends_with_database_is_locked_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    engine = await _engine(path, timeout=0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        async with engine.begin() as conn:
            await conn.execute(insert(items), {"id": 1, "v": "x"})
    assert time.monotonic() - started >= 0.2
    holder.execute("ROLLBACK")
    holder.close()
    await engine.dispose()
