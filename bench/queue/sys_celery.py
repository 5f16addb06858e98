"""Celery with a Redis broker: a worker subprocess, tasks published from here."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import redis
from bench.queue.common import REDIS_DB, REDIS_HOST, REDIS_PORT, fresh_redis, open_loop

POOL = os.environ.get("RF_BENCH_CELERY_POOL", "threads")
CONCURRENCY = os.environ.get("RF_BENCH_CELERY_CONCURRENCY", "8")


@contextlib.contextmanager
def worker() -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable, "-m", "celery", "-A", "bench.queue.celery_app", "worker",
        "-P", POOL, "-c", CONCURRENCY, "--without-gossip", "--without-mingle",
        "--without-heartbeat", "--loglevel=WARNING",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _client() -> redis.Redis:
    return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB["celery"])


async def _wait_count(client: redis.Redis, expected: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if int(client.get("rf:done") or 0) >= expected:
            return time.time()
        await asyncio.sleep(0.005)
    raise TimeoutError(f"celery processed {client.get('rf:done')} of {expected}")


async def throughput(jobs: int) -> dict[str, Any]:
    with fresh_redis("celery"):
        from bench.queue.celery_app import noop

        for i in range(jobs):
            noop.apply_async(kwargs={"i": i})
        client = _client()
        with worker():
            end = await _wait_count(client, jobs, 600)
        first = float(client.get("rf:first") or end)
        client.close()
    # The clock starts at the first task's start: worker boot is not counted.
    return {"jobs": jobs, "seconds": end - first}


async def latency(rate: float, seconds: float) -> dict[str, Any]:
    with fresh_redis("celery"):
        from bench.queue.celery_app import noop

        client = _client()
        with worker():
            noop.apply_async()  # warm-up: wait until the worker is consuming
            await _wait_count(client, 1, 60)
            client.delete("rf:latency")

            async def enqueue(t0: float) -> None:
                # The client is blocking: in a thread, so arrivals stay steady.
                await asyncio.to_thread(noop.apply_async, kwargs={"t0": t0})

            count = await open_loop(enqueue, rate, seconds)
            await _wait_count(client, count + 1, 60)
        latencies = [float(v) for v in client.lrange("rf:latency", 0, -1)]
        client.close()
    return {"latencies": latencies}
