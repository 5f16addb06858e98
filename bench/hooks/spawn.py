"""What one command run costs the notifier: ``run_process`` in a process the notifier's size.

Run from the repository root::

    .venv/bin/python -m bench.hooks.spawn [--runs 400]

Builds the notifier app first (so the process has the notifier's imports and
memory, as in ``reportflow notifier``), then runs ``/bin/true`` and
``/bin/sleep 0.01`` through :func:`run_process` one at a time and 32 at once,
and prints runs per second, the process's CPU time per run (the event loop and
any helper thread, not the child's) and the median wall time of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time

from reportflow.config import load_settings
from reportflow.notifier import create_app
from reportflow.notifier.process import run_process

ENV = {"PATH": os.defpath, "HOOK_ID": "bench", "HOOK_METHOD": "POST"}


async def one(argv: list[str]) -> float:
    started = time.perf_counter()
    await run_process(argv, env=ENV, stdin=b"", cwd=None, timeout=10, output_limit=65536)
    return time.perf_counter() - started


async def measure(argv: list[str], runs: int, concurrency: int) -> str:
    slots = asyncio.Semaphore(concurrency)
    walls: list[float] = []

    async def job() -> None:
        async with slots:
            walls.append(await one(argv))

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(job() for _ in range(runs)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return (
        f"| `{' '.join(argv)}` | {concurrency} | {runs / wall:,.0f} | "
        f"{cpu / runs * 1000:.3f} | {statistics.median(walls) * 1000:.2f} |"
    )


async def main(runs: int) -> None:
    print("| command | at once | runs/s | CPU ms/run | wall p50 ms |")
    print("|---|---:|---:|---:|---:|")
    for argv in (["/bin/true"], ["/bin/sleep", "0.01"]):
        for _ in range(10):  # warm-up
            await one(argv)
        for concurrency in (1, 32):
            print(await measure(argv, runs, concurrency))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # create_app warns that the bench has no auth
    app = create_app(load_settings())
    asyncio.run(main(args.runs))
