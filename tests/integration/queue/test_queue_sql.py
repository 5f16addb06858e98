"""What only the SQL backends do: enqueue in the caller's transaction, URLs, schema."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from reportflow.errors import ConfigError, QueueError
from reportflow.queue import Queue, connect

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, make_backend: Callable[[str], Any]) -> Any:
    """Overrides the suite's fixture: SQL backends only."""
    return make_backend(request.param)


@pytest.fixture
async def caller_engine(backend: Any) -> AsyncIterator[AsyncEngine]:
    """The requestor's own engine on the queue's database."""
    engine = create_async_engine(backend.sqlalchemy_url)
    async with engine.begin() as conn:
        await conn.execute(
            text("CREATE TABLE reports (id VARCHAR(64) PRIMARY KEY, job VARCHAR(200))")
        )
    yield engine
    await engine.dispose()


async def test_rolled_back_caller_transaction_leaves_no_job(
    queue: Queue, caller_engine: AsyncEngine
) -> None:
    async with caller_engine.connect() as conn:
        await conn.begin()
        job = await queue.enqueue("sales", {"m": 1}, connection=conn)
        await conn.execute(text("INSERT INTO reports VALUES ('r1', :job)"), {"job": job.id})
        await conn.rollback()
    assert await queue.get(job.id) is None
    assert await queue.claim("w") == []
    async with caller_engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM reports"))).scalar() == 0


async def test_committed_caller_transaction_enqueues_and_wakes(
    queue: Queue, caller_engine: AsyncEngine
) -> None:
    await queue.wait(0)
    async with caller_engine.connect() as conn:
        await conn.begin()
        await conn.execute(text("INSERT INTO reports VALUES ('r1', NULL)"))
        job = await queue.enqueue("sales", connection=conn, idempotency_key="r1")
        assert await queue.get(job.id) is None  # not visible before commit
        waiter = asyncio.create_task(queue.wait(10))
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        await conn.commit()
    await asyncio.wait_for(waiter, 5)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0  # NOTIFY on commit (postgres) or the short poll (sqlite)
    [claimed] = await queue.claim("w")
    assert claimed.id == job.id


async def test_connection_must_be_sqlalchemy(queue: Queue, caller_engine: AsyncEngine) -> None:
    with pytest.raises(QueueError, match="AsyncConnection"):
        await queue.enqueue("r", connection=object())


async def test_duplicate_id_in_caller_transaction_is_a_queue_error(
    queue: Queue, caller_engine: AsyncEngine
) -> None:
    await queue.enqueue("r", job_id="same")
    async with caller_engine.connect() as conn:
        await conn.begin()
        with pytest.raises(QueueError, match="'same' already exists"):
            await queue.enqueue("r", job_id="same", connection=conn)
        await conn.rollback()


async def test_schema_creation_is_idempotent_and_concurrent(backend: Any) -> None:
    queues = [backend.open() for _ in range(4)]
    await asyncio.gather(*(q.connect() for q in queues))
    try:
        job = await queues[0].enqueue("r")
        assert (await queues[3].get(job.id)) is not None
        await queues[1].connect()  # again: no-op
    finally:
        await asyncio.gather(*(q.close() for q in queues))


async def test_operation_before_connect_is_a_clear_error(backend: Any) -> None:
    q = backend.open()
    with pytest.raises(QueueError, match="not connected"):
        await q.enqueue("r")


async def test_unreachable_database_is_a_queue_error(postgres_url: str) -> None:
    q = connect("postgresql://postgres@127.0.0.1:1/nowhere")
    with pytest.raises(QueueError, match="connect failed on postgresql"):
        await q.connect()


async def test_password_is_hidden_in_errors() -> None:
    q = connect("postgresql://user:s3cret@127.0.0.1:1/nowhere")
    with pytest.raises(QueueError) as info:
        await q.connect()
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "needs a database file path"),
        ("sqlite:///:memory:", "use memory://"),
        ("postgresql://postgres@127.0.0.1", "names no database"),
    ],
)
def test_bad_sql_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        connect(url)


async def test_sqlite_sees_other_processes_by_polling(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    async with (
        connect(f"sqlite:///{path}", poll_interval=0.1) as q,
        connect(f"sqlite:///{path}") as other,
    ):
        from reportflow.queue import sqlite as sqlite_backend

        # Forget the in-process signal, as if ``other`` lived in another process.
        sqlite_backend._local_wakeups.pop(str(path), None)
        await q.wait(0)
        await other.enqueue("r")
        started = time.perf_counter()
        await q.wait(5)
        assert time.perf_counter() - started < 0.5
        assert [j.report for j in await q.claim("w")] == ["r"]
