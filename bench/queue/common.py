"""Shared pieces of the queue benchmarks: services, the open-loop producer, statistics."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
# Dedicated Redis databases, flushed before and after each measurement
# (15 belongs to the test suite).
REDIS_DB = {"saq": 11, "celery": 12, "taskiq": 13}


def redis_url(system: str) -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB[system]}"


@contextlib.contextmanager
def fresh_redis(system: str) -> Iterator[str]:
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB[system])
    client.flushdb()
    try:
        yield redis_url(system)
    finally:
        client.flushdb()
        client.close()


@contextlib.contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new database, dropped afterwards; yields its ``postgresql://`` URL."""
    import psycopg

    name = f"rf_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


ENQUEUE_SECONDS: list[float] = []
"""How long each ``open_loop`` enqueue call took (read by ``bench.queue.one``)."""


async def open_loop(
    enqueue: Callable[[float], Awaitable[object]], rate: float, seconds: float
) -> int:
    """Call ``enqueue(t0)`` at a steady ``rate`` for ``seconds`` without waiting
    for earlier calls (a slow enqueue does not slow the arrivals). ``t0`` is
    the wall clock just before the call: latency counts the enqueue itself."""
    count = int(rate * seconds)

    async def timed(t0: float) -> None:
        await enqueue(t0)
        ENQUEUE_SECONDS.append(time.time() - t0)

    start = time.perf_counter()
    tasks: set[asyncio.Future[None]] = set()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(timed(time.time()))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    return count


async def enqueue_all(enqueue: Callable[[int], Awaitable[object]], jobs: int, width: int) -> None:
    """Enqueue ``jobs`` jobs, ``width`` at a time."""
    for first in range(0, jobs, width):
        await asyncio.gather(*(enqueue(i) for i in range(first, min(jobs, first + width))))


class Tally:
    """Counts finished jobs and latencies; ``done`` is set at ``expected``."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.latencies: list[float] = []
        self.done = asyncio.Event()

    def started(self, t0: float | None = None) -> None:
        if t0 is not None:
            self.latencies.append(time.time() - t0)

    def finished(self) -> None:
        self.count += 1
        if self.count >= self.expected:
            self.done.set()


async def wait_done(tally: Tally, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        await tally.done.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def latency_summary(latencies: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in latencies]
    return {
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else float("nan"),
        "n": float(len(ms)),
    }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@contextlib.asynccontextmanager
async def background(coro: Awaitable[object]) -> AsyncIterator[asyncio.Task[object]]:
    """Run ``coro`` as a task for the block; cancel it afterwards."""
    task = asyncio.ensure_future(coro)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
