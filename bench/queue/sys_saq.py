"""SAQ on Redis: worker in the same process, no-op job function."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.queue.common import Tally, background, enqueue_all, fresh_redis, open_loop, wait_done
from saq import Queue, Worker

CONCURRENCY = 10


def _setup(url: str, tally: Tally) -> tuple[Queue, Worker]:
    queue = Queue.from_url(url)

    async def noop(ctx: dict[str, Any], *, t0: float | None = None, i: int = 0) -> None:
        tally.started(t0)
        tally.finished()

    worker = Worker(queue, functions=[("noop", noop)], concurrency=CONCURRENCY)
    return queue, worker


async def throughput(jobs: int) -> dict[str, Any]:
    with fresh_redis("saq") as url:
        tally = Tally(jobs)
        queue, worker = _setup(url, tally)
        await queue.connect()
        await enqueue_all(lambda i: queue.enqueue("noop", i=i), jobs, width=500)
        start = time.perf_counter()
        async with background(worker.start()):
            await wait_done(tally, 600)
            elapsed = time.perf_counter() - start
        await queue.disconnect()
    return {"jobs": jobs, "seconds": elapsed}


async def latency(rate: float, seconds: float) -> dict[str, Any]:
    with fresh_redis("saq") as url:
        tally = Tally(int(rate * seconds))
        queue, worker = _setup(url, tally)
        await queue.connect()
        async with background(worker.start()):
            await asyncio.sleep(0.5)
            await open_loop(lambda t0: queue.enqueue("noop", t0=t0), rate, seconds)
            await wait_done(tally, 60)
        await queue.disconnect()
    return {"latencies": tally.latencies}
