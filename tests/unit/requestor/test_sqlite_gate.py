"""The per-file SQLite write gate: one writer at a time, re-entry passes, other files apart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.engine import make_url

from reportflow.store import Store
from reportflow.store.gate import sqlite_path, sqlite_writer, write_gate


def test_sqlite_path_names_files_only(tmp_path: Path) -> None:
    assert sqlite_path(make_url(f"sqlite:///{tmp_path / 'a.db'}")) == str(tmp_path / "a.db")
    assert sqlite_path(make_url("sqlite://")) is None
    assert sqlite_path(make_url("sqlite:///:memory:")) is None
    assert sqlite_path(make_url("postgresql://u@h/db")) is None


async def test_writers_of_one_file_take_turns() -> None:
    inside = 0
    most = 0

    async def writer() -> None:
        nonlocal inside, most
        async with sqlite_writer("/x/one.db"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    await asyncio.gather(*(writer() for _ in range(20)))
    assert most == 1


async def test_other_files_do_not_wait() -> None:
    async with sqlite_writer("/x/a.db"):
        async with asyncio.timeout(1):
            async with sqlite_writer("/x/b.db"):
                pass


async def test_reentry_and_child_tasks_pass_through() -> None:
    async def child() -> str:
        async with sqlite_writer("/x/a.db"):
            return "ran"

    async with asyncio.timeout(1), sqlite_writer("/x/a.db"):
        async with sqlite_writer("/x/a.db"):
            pass
        assert await asyncio.create_task(child()) == "ran"


async def test_no_gate_for_none() -> None:
    async with write_gate(None), write_gate(None):
        pass


async def test_store_transactions_share_the_gate(tmp_path: Path) -> None:
    """Concurrent store writers never meet SQLite's busy handler: every commit lands."""
    store = await Store.open(f"sqlite:///{tmp_path / 'rf.db'}")
    try:
        from reportflow.store import users

        async def add(i: int) -> None:
            async with store.transaction() as db:
                await users.create_user(db, f"user{i}")

        await asyncio.gather(*(add(i) for i in range(30)))
        async with store.read() as db:
            assert all([await users.get_user_by_name(db, f"user{i}") for i in range(30)])
    finally:
        await store.close()
