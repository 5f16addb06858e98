"""taskiq with taskiq-redis (ListQueueBroker): receiver in the same process."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.queue.common import Tally, background, enqueue_all, fresh_redis, open_loop, wait_done
from taskiq.api import run_receiver_task
from taskiq_redis import ListQueueBroker

MAX_ASYNC_TASKS = 100


async def _broker(url: str, tally: Tally) -> tuple[ListQueueBroker, Any]:
    broker = ListQueueBroker(url)

    @broker.task(task_name="noop")
    async def noop(t0: float | None = None, i: int = 0) -> None:
        tally.started(t0)
        tally.finished()

    await broker.startup()
    return broker, noop


def _receiver(broker: ListQueueBroker) -> Any:
    return run_receiver_task(broker, max_async_tasks=MAX_ASYNC_TASKS, run_startup=False)


async def throughput(jobs: int) -> dict[str, Any]:
    with fresh_redis("taskiq") as url:
        tally = Tally(jobs)
        broker, noop = await _broker(url, tally)
        await enqueue_all(lambda i: noop.kiq(i=i), jobs, width=500)
        start = time.perf_counter()
        async with background(_receiver(broker)):
            await wait_done(tally, 600)
            elapsed = time.perf_counter() - start
        await broker.shutdown()
    return {"jobs": jobs, "seconds": elapsed}


async def latency(rate: float, seconds: float) -> dict[str, Any]:
    with fresh_redis("taskiq") as url:
        tally = Tally(int(rate * seconds))
        broker, noop = await _broker(url, tally)
        async with background(_receiver(broker)):
            await asyncio.sleep(0.5)
            await open_loop(lambda t0: noop.kiq(t0=t0), rate, seconds)
            await wait_done(tally, 60)
        await broker.shutdown()
    return {"latencies": tally.latencies}
