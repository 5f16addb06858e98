"""The per-hook limiter: run, queue in order, refuse beyond the queue, resize on reload."""

from __future__ import annotations

import asyncio

import pytest

from reportflow.notifier.hooks.limiter import Busy, Limiter


async def test_runs_up_to_the_cap_then_refuses_without_a_queue() -> None:
    lim = Limiter(2, 0)
    lim.admit()
    lim.admit()
    with pytest.raises(Busy):
        lim.admit()
    lim.release()
    lim.admit()  # a slot came free
    assert lim.running == 2


async def test_waiters_get_slots_in_arrival_order() -> None:
    lim = Limiter(1, 2)
    lim.admit()
    first, second = lim.admit(), lim.admit()
    with pytest.raises(Busy):
        lim.admit()  # the queue is full too
    order: list[str] = []

    async def wait(name: str, ticket: object) -> None:
        await ticket.acquire(5)  # type: ignore[attr-defined]
        order.append(name)

    tasks = [asyncio.create_task(wait("first", first)), asyncio.create_task(wait("second", second))]
    await asyncio.sleep(0)
    lim.release()
    await tasks[0]
    assert order == ["first"]
    assert (lim.running, lim.queued) == (1, 1)
    lim.release()
    await tasks[1]
    assert order == ["first", "second"]


async def test_a_waiter_that_times_out_leaves_the_queue() -> None:
    lim = Limiter(1, 1)
    lim.admit()
    ticket = lim.admit()
    with pytest.raises(Busy):
        await ticket.acquire(0.01)
    assert lim.queued == 0
    lim.release()
    assert lim.running == 0


async def test_a_cancelled_waiter_leaves_the_queue_and_is_cancelled() -> None:
    lim = Limiter(1, 1)
    lim.admit()
    ticket = lim.admit()
    task = asyncio.create_task(ticket.acquire(5))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert lim.queued == 0


async def test_resize_up_wakes_waiters_and_down_drains() -> None:
    lim = Limiter(1, 5)
    lim.admit()
    tickets = [lim.admit(), lim.admit()]
    lim.resize(3, 5)
    await asyncio.gather(*(t.acquire(1) for t in tickets))
    assert lim.running == 3
    lim.resize(1, 0)
    lim.release()
    lim.release()
    assert lim.running == 1
    with pytest.raises(Busy):
        lim.admit()
