"""A queue job written in a store transaction wakes claimers when that transaction commits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reportflow.queue import connect
from reportflow.store import Store


async def test_claimers_wake_after_the_commit_not_before(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rf.db'}"
    store = await Store.open(url)
    queue = connect(url, poll_interval=30.0)  # a poll would not come to the rescue
    await queue.connect()
    try:
        waiter = asyncio.create_task(queue.wait(30.0))
        await asyncio.sleep(0.01)
        async with store.transaction() as db:
            job = await queue.enqueue("noop", connection=db)
            await asyncio.sleep(0.05)
            assert not waiter.done()  # not claimable yet: woken now, a claimer finds nothing
        await asyncio.wait_for(waiter, 1.0)
        [claimed] = await queue.claim("w", limit=1)
        assert claimed.id == job.id
    finally:
        await queue.close()
        await store.close()


async def test_a_rolled_back_enqueue_wakes_nobody(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rf.db'}"
    store = await Store.open(url)
    queue = connect(url, poll_interval=30.0)
    await queue.connect()
    try:
        waiter = asyncio.create_task(queue.wait(0.3))

        async def failing_request() -> None:
            async with store.transaction() as db:
                await queue.enqueue("noop", connection=db)
                raise RuntimeError("the request failed after the enqueue")

        with pytest.raises(RuntimeError):
            await failing_request()
        started = asyncio.get_running_loop().time()
        await waiter
        assert asyncio.get_running_loop().time() - started >= 0.25  # it timed out
        assert await queue.claim("w", limit=1) == []
    finally:
        await queue.close()
        await store.close()
