"""procrastinate on PostgreSQL (psycopg 3): worker in the same process, fresh database."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import procrastinate
from bench.queue.common import Tally, background, enqueue_all, fresh_postgres, open_loop, wait_done

CONCURRENCY = 10


async def _app(url: str, tally: Tally) -> tuple[procrastinate.App, Any]:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="noop")
    async def noop(t0: float | None = None, i: int = 0) -> None:
        tally.started(t0)
        tally.finished()

    await app.open_async()
    await app.schema_manager.apply_schema_async()
    return app, noop


def _worker(app: procrastinate.App) -> Any:
    return app.run_worker_async(concurrency=CONCURRENCY, wait=True, install_signal_handlers=False)


async def throughput(jobs: int) -> dict[str, Any]:
    with fresh_postgres() as url:
        tally = Tally(jobs)
        app, noop = await _app(url, tally)
        await enqueue_all(lambda i: noop.defer_async(i=i), jobs, width=100)
        start = time.perf_counter()
        async with background(_worker(app)):
            await wait_done(tally, 600)
            elapsed = time.perf_counter() - start
        await app.close_async()
    return {"jobs": jobs, "seconds": elapsed}


async def latency(rate: float, seconds: float) -> dict[str, Any]:
    with fresh_postgres() as url:
        tally = Tally(int(rate * seconds))
        app, noop = await _app(url, tally)
        async with background(_worker(app)):
            await asyncio.sleep(0.5)
            await open_loop(lambda t0: noop.defer_async(t0=t0), rate, seconds)
            await wait_done(tally, 60)
        await app.close_async()
    return {"latencies": tally.latencies}
