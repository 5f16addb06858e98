"""Makespan of N concurrent I/O-bound reports in one runner process.

Each job awaits ``--seconds`` (1 s): the ideal makespan is that one second,
everything above it is the cost of claiming, starting, heartbeating, acking
and emitting events for N jobs. Peers in the same run: bare ``asyncio.gather``
of the same sleeps (the floor), then the runner on each queue backend.

    .venv/bin/python -m bench.runner.makespan            # 10,000 jobs, 5 runs
    .venv/bin/python -m bench.runner.makespan --jobs 2000 --runs 3 --backends memory,sqlite

Each backend runs twice: with the default heartbeat (10 s, no beat inside
the run) and with a 0.25 s heartbeat (several beats renewing all 10,000 leases
in one call each). Enqueueing is not timed; the clock starts at
``Runner.start()`` and stops at the last final event. ``--gc default`` skips
``tune_gc()`` (which ``reportflow runner`` applies) to show what it saves.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from reportflow.heap import tune_gc
from reportflow.queue import Queue, connect
from reportflow.queue.base import Job
from reportflow.runner import Outcome, ReportEvent, Runner, RunnerHooks, SleepExecutor

PG_ADMIN = os.environ.get("REPORTFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


class CountingSink:
    """Counts final events and fires when ``expected`` arrived."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.finals = 0
        self.events = 0
        self.done = asyncio.Event()

    async def emit(self, event: ReportEvent) -> None:
        self.events += 1
        if event.final:
            self.finals += 1
            if self.finals >= self.expected:
                self.done.set()

    async def close(self) -> None:
        return None


class StartClock(RunnerHooks):
    """Notes when the last job started: splits the makespan into ramp-up and tail."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.started = 0
        self.running = 0
        self.peak = 0
        self.all_started_at = 0.0

    async def before_run(self, job: Job) -> None:
        self.started += 1
        self.running += 1
        self.peak = max(self.peak, self.running)
        if self.started == self.expected:
            self.all_started_at = time.perf_counter()

    async def after_run(self, job: Job, outcome: Outcome, error: BaseException | None) -> None:
        self.running -= 1


@asynccontextmanager
async def fresh_queue(backend: str) -> AsyncIterator[Queue]:
    if backend == "memory":
        async with connect("memory://") as queue:
            yield queue
    elif backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="rf-bench-") as tmp:
            async with connect(f"sqlite:///{tmp}/queue.db") as queue:
                yield queue
    elif backend == "postgres":
        import psycopg

        name = f"rf_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            async with connect(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}") as queue:
                yield queue
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        raise SystemExit(f"unknown backend {backend!r} (memory, sqlite, postgres)")


async def bare_gather(jobs: int, seconds: float) -> float:
    began = time.perf_counter()
    await asyncio.gather(*(asyncio.sleep(seconds) for _ in range(jobs)))
    return time.perf_counter() - began


RAMPS: dict[str, list[float]] = {}
PEAKS: dict[str, list[int]] = {}


async def runner_makespan(
    backend: str, jobs: int, seconds: float, batch: int, heartbeat: float
) -> float:
    async with fresh_queue(backend) as queue:
        for start in range(0, jobs, 1000):  # concurrent enqueues share commits
            chunk = range(start, min(jobs, start + 1000))
            await asyncio.gather(*(queue.enqueue("sleep", {"seconds": seconds}) for _ in chunk))
        sink = CountingSink(jobs)
        clock = StartClock(jobs)
        runner = Runner(
            queue,
            SleepExecutor(seconds),
            concurrency=jobs,
            sink=sink,
            hooks=[clock],
            claim_batch=batch,
            lease_seconds=30.0,
            heartbeat_seconds=heartbeat,
            grace_seconds=0.0,
        )
        gc.collect()
        began = time.perf_counter()
        await runner.start()
        await asyncio.wait_for(sink.done.wait(), timeout=300)
        elapsed = time.perf_counter() - began
        key = f"{backend}, heartbeat {heartbeat:g}s"
        RAMPS.setdefault(key, []).append(clock.all_started_at - began)
        PEAKS.setdefault(key, []).append(clock.peak)
        await runner.drain(0)
        stats = await queue.stats()
        succeeded = stats.depth.get(next(s for s in stats.depth if s.value == "succeeded"), 0)
        if succeeded != jobs:
            raise SystemExit(f"{backend}: only {succeeded}/{jobs} jobs succeeded")
        return elapsed


def row(name: str, samples: list[float], seconds: float) -> str:
    med = statistics.median(samples)
    return (
        f"| {name} | {med:.3f} | {min(samples):.3f} | {max(samples):.3f} "
        f"| {med / seconds:.2f}x | {len(samples)} |"
    )


async def main_async(args: argparse.Namespace) -> None:
    peers: list[tuple[str, Callable[[], object]]] = [
        ("asyncio.gather (floor)", lambda: bare_gather(args.jobs, args.seconds))
    ]
    for backend in args.backends.split(","):
        for beat in (10.0, 0.25):
            peers.append(
                (
                    f"Runner on {backend}, heartbeat {beat:g}s",
                    lambda b=backend, h=beat: runner_makespan(
                        b, args.jobs, args.seconds, args.batch, h
                    ),
                )
            )
    title = f"{args.jobs} jobs x {args.seconds:g}s, concurrency {args.jobs}, {args.runs} runs"
    print(f"{title}, claim_batch {args.batch}, lease 30s, gc {args.gc}\n", flush=True)
    print("| peer | median s | min s | max s | median / ideal | runs |")
    print("|---|---|---|---|---|---|")
    for name, make in peers:
        samples = [await make() for _ in range(args.runs)]  # type: ignore[misc]
        print(row(name, samples, args.seconds), flush=True)
    print("\nramp-up (start() to the last job started), median s; peak jobs running at once:")
    for key, ramps in RAMPS.items():
        peaks = PEAKS[key]
        print(f"- {key}: {statistics.median(ramps):.3f} s; peak {min(peaks)}-{max(peaks)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000, help="claim_batch")
    parser.add_argument("--backends", default="memory,sqlite")
    parser.add_argument(
        "--gc", choices=("tuned", "default"), default="tuned", help="tune_gc() as runners do"
    )
    args = parser.parse_args()
    if args.gc == "tuned":
        tune_gc()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
