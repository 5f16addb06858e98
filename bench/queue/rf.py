"""reportflow's own queue backends, consumed two ways.

* ``loop``: a bare consumer on the Queue API: claim a batch, run a no-op
  coroutine per job concurrently, ack each (acks are group-committed by the
  queue). Several claim loops overlap claims with acks.
* ``runner``: the real runner pool (:class:`reportflow.runner.Runner`) with its
  ``NoopExecutor``: heartbeats, hooks and events included.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator
from typing import Any

from bench.queue.common import Tally, background, enqueue_all, fresh_postgres, open_loop, wait_done

from reportflow.queue import Job, Queue, connect
from reportflow.runner import NoopExecutor, ReportEvent, Runner, RunnerHooks
from reportflow.runner.hooks import Outcome

CLAIM_BATCH = 200
CLAIMERS = 2
WAIT_FALLBACK = 1.0


@contextlib.asynccontextmanager
async def fresh_queue(backend: str) -> AsyncIterator[Queue]:
    if backend == "memory":
        async with connect("memory://") as queue:
            yield queue
    elif backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="rf-bench-") as tmp:
            async with connect(f"sqlite:///{tmp}/queue.db") as queue:
                yield queue
    elif backend == "postgres":
        with fresh_postgres() as url:
            async with connect(url) as queue:
                yield queue
    else:
        raise SystemExit(f"unknown reportflow backend {backend!r}")


async def _noop() -> None:
    return None


async def consume(queue: Queue, tally: Tally, worker: str) -> None:
    async def run(job: Job) -> None:
        tally.started(job.params.get("t0"))
        await _noop()
        await queue.ack(worker, job.id)
        tally.finished()

    while True:
        jobs = await queue.claim(worker, limit=CLAIM_BATCH, lease_seconds=60)
        if not jobs:
            await queue.wait(WAIT_FALLBACK)
            continue
        await asyncio.gather(*(run(job) for job in jobs))


@contextlib.asynccontextmanager
async def consumer(queue: Queue, tally: Tally, how: str) -> AsyncIterator[None]:
    if how == "loop":
        loops = [consume(queue, tally, f"bench-{k}") for k in range(CLAIMERS)]
        async with background(asyncio.gather(*loops)):
            yield
        return

    class Count(RunnerHooks):
        async def before_run(self, job: Job) -> None:
            tally.started(job.params.get("t0"))

        async def after_run(self, job: Job, outcome: Outcome, error: BaseException | None) -> None:
            tally.finished()

    class NullSink:
        async def emit(self, event: ReportEvent) -> None:
            return None

        async def close(self) -> None:
            return None

    runner = Runner(
        queue,
        NoopExecutor(),
        concurrency=CLAIM_BATCH * CLAIMERS,
        claim_batch=CLAIM_BATCH,
        sink=NullSink(),
        hooks=[Count()],
    )
    await runner.start()
    try:
        yield
    finally:
        await runner.stop()


async def throughput(backend: str, how: str, jobs: int) -> dict[str, Any]:
    async with fresh_queue(backend) as queue:
        await enqueue_all(lambda i: queue.enqueue("noop", {"i": i}), jobs, width=500)
        tally = Tally(jobs)
        start = time.perf_counter()
        async with consumer(queue, tally, how):
            await wait_done(tally, 600)
            elapsed = time.perf_counter() - start
        stats = await queue.stats()
    return {"jobs": jobs, "seconds": elapsed, "succeeded": stats.depth["succeeded"]}  # type: ignore[index]


async def latency(backend: str, how: str, rate: float, seconds: float) -> dict[str, Any]:
    async with fresh_queue(backend) as queue:
        tally = Tally(int(rate * seconds))
        async with consumer(queue, tally, how):
            await asyncio.sleep(0.2)  # consumer idle and waiting, as in production
            await open_loop(lambda t0: queue.enqueue("noop", {"t0": t0}), rate, seconds)
            await wait_done(tally, 60)
    return {"latencies": tally.latencies}
