"""Group commit: concurrent calls share a flush; errors reach every caller of their batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from reportflow.queue.batching import GroupCommit


async def test_concurrent_items_share_one_flush() -> None:
    batches: list[list[int]] = []

    async def flush(items: Sequence[int]) -> list[int | BaseException]:
        batches.append(list(items))
        await asyncio.sleep(0)
        return [item * 10 for item in items]

    group: GroupCommit[int, int] = GroupCommit(flush)
    results = await asyncio.gather(*(group.submit(n) for n in range(5)))
    assert results == [0, 10, 20, 30, 40]
    assert batches == [[0, 1, 2, 3, 4]]


async def test_items_arriving_during_a_flush_go_in_the_next() -> None:
    batches: list[list[int]] = []
    release = asyncio.Event()

    async def flush(items: Sequence[int]) -> list[int | BaseException]:
        batches.append(list(items))
        if len(batches) == 1:
            await release.wait()
        return list(items)

    group: GroupCommit[int, int] = GroupCommit(flush)
    first = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0.01)
    later = [asyncio.create_task(group.submit(n)) for n in (2, 3)]
    await asyncio.sleep(0.01)
    release.set()
    assert await first == 1
    assert await asyncio.gather(*later) == [2, 3]
    assert batches == [[1], [2, 3]]


async def test_max_batch_splits() -> None:
    sizes: list[int] = []

    async def flush(items: Sequence[int]) -> list[int | BaseException]:
        sizes.append(len(items))
        return list(items)

    group: GroupCommit[int, int] = GroupCommit(flush, max_batch=3)
    assert await asyncio.gather(*(group.submit(n) for n in range(7))) == list(range(7))
    assert sizes == [3, 3, 1]


async def test_per_item_errors_and_failed_flush() -> None:
    async def flush(items: Sequence[int]) -> list[int | BaseException]:
        if 99 in items:
            raise RuntimeError("disk full")
        return [ValueError(f"bad {i}") if i < 0 else i for i in items]

    group: GroupCommit[int, int] = GroupCommit(flush)
    ok, bad = await asyncio.gather(group.submit(1), group.submit(-1), return_exceptions=True)
    assert ok == 1
    assert isinstance(bad, ValueError)
    both = await asyncio.gather(group.submit(99), group.submit(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in both)
    with pytest.raises(RuntimeError, match="disk full"):
        await group.submit(99)
    await group.aclose()
