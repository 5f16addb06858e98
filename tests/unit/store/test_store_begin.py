"""How store transactions begin on SQLite: writers take the lock at BEGIN, readers never."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, table, text

from reportflow.queue import connect as connect_queue
from reportflow.store import Store


def _other_writer_can_begin(path: Path) -> bool:
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    finally:
        other.close()
    return True


async def test_a_write_transaction_holds_the_write_lock_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = await Store.open(f"sqlite:///{path}")
    try:
        async with store.transaction():
            assert not _other_writer_can_begin(path)  # BEGIN IMMEDIATE, before any statement
        async with store.read() as db:
            await db.execute(text("SELECT count(*) FROM rf_users"))
            assert _other_writer_can_begin(path)  # a read takes no write lock
        assert _other_writer_can_begin(path)
    finally:
        await store.close()


async def test_a_write_transaction_waits_for_another_writer_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    store = await Store.open(f"sqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None)  # another process, as SQLite sees it
    holder.execute("BEGIN IMMEDIATE")

    async def write() -> None:
        async with store.transaction() as db:
            await db.execute(text("UPDATE rf_users SET last_seq = last_seq + 1"))

    try:
        writer = asyncio.create_task(write())
        started = time.monotonic()
        await asyncio.sleep(0.2)
        assert time.monotonic() - started < 1.0  # the loop was not held up meanwhile
        assert not writer.done()  # the writer still waits for the lock at its BEGIN
        holder.execute("COMMIT")
        await asyncio.wait_for(writer, 5)
    finally:
        holder.close()
        await store.close()


async def test_many_transactions_open_at_once_never_block_the_loop(tmp_path: Path) -> None:
    """More transactions waiting inside than the pool keeps: each gets a connection."""
    store = await Store.open(f"sqlite:///{tmp_path / 's.db'}")
    inside = 0
    most = 0

    async def read() -> int:
        nonlocal inside, most
        async with store.read() as db:
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.05)
            count = (await db.execute(text("SELECT count(*) FROM rf_users"))).scalar_one()
            inside -= 1
            return int(count)

    try:
        counts = await asyncio.wait_for(asyncio.gather(*(read() for _ in range(40))), 10)
    finally:
        await store.close()
    assert counts == [0] * 40
    assert most == 40


_COUNT_USERS = select(func.count()).select_from(table("rf_users"))


async def test_kept_connections_hold_no_transaction_between_transactions(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = await Store.open(f"sqlite:///{path}")

    async def failing_write() -> None:
        async with store.transaction() as db:
            await db.execute(text("UPDATE rf_users SET last_seq = last_seq + 1"))
            raise RuntimeError("undone")

    try:
        for _ in range(3):
            async with store.transaction() as db:
                await db.execute(text("UPDATE rf_users SET last_seq = last_seq + 1"))
            async with store.read() as db:
                for _ in range(2):  # the second goes straight to the driver (store.direct)
                    await db.execute(_COUNT_USERS)
            with pytest.raises(RuntimeError, match="undone"):
                await failing_write()
        other = sqlite3.connect(path, isolation_level=None)
        try:
            # A reader left open anywhere would stop the checkpoint short ("busy").
            busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            assert _other_writer_can_begin(path)
        finally:
            other.close()
        assert busy == 0
    finally:
        await store.close()


async def test_a_first_connection_waits_while_another_process_locks_a_fresh_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "q.db"
    holder = sqlite3.connect(path, isolation_level=None)  # a new file: rollback journal
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN IMMEDIATE")  # switching the file to WAL needs it alone
    holder.execute("INSERT INTO other VALUES (1)")
    queue = connect_queue(f"sqlite:///{path}")
    try:
        connecting = asyncio.create_task(queue.connect())
        await asyncio.sleep(0.3)
        assert not connecting.done()  # waiting for the lock, not failed
        holder.execute("COMMIT")
        await asyncio.wait_for(connecting, 10)
        job = await queue.enqueue("noop", {})
        assert (await queue.get(job.id)) is not None
    finally:
        holder.close()
        await queue.close()
