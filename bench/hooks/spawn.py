"""What one command run costs the notifier: in its own process, or through the Spawner.

Run from the repository root::

    .venv/bin/python -m bench.hooks.spawn [--runs 400]

Builds the notifier app first (so the process has the notifier's imports and
memory, as in ``reportflow notifier``), then runs ``/bin/true`` and
``/bin/sleep 0.01`` one at a time and 32 at once, two ways: :func:`run_process`
in this process, and :meth:`Spawner.run` (the notifier's way: the helper
process starts them). Prints runs per second, CPU time per run of this process
and of the spawner's helper (not the programs'), and the median wall time of
one run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time

import psutil

from reportflow.config import load_settings
from reportflow.notifier import create_app
from reportflow.spawn import ProcessRunner, Spawner, run_process

ENV = {"PATH": os.defpath, "HOOK_ID": "bench", "HOOK_METHOD": "POST"}


async def one(runner: ProcessRunner, argv: list[str]) -> float:
    started = time.perf_counter()
    await runner(argv, env=ENV, stdin=b"", cwd=None, timeout=10, output_limit=65536)
    return time.perf_counter() - started


def _cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def measure(
    way: str, runner: ProcessRunner, helper: int | None, argv: list[str], runs: int, at_once: int
) -> str:
    slots = asyncio.Semaphore(at_once)
    walls: list[float] = []

    async def job() -> None:
        async with slots:
            walls.append(await one(runner, argv))

    cpu, helper_cpu, wall = time.process_time(), _cpu(helper), time.perf_counter()
    await asyncio.gather(*(job() for _ in range(runs)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    helper_cpu = _cpu(helper) - helper_cpu
    return (
        f"| {way} | `{' '.join(argv)}` | {at_once} | {runs / wall:,.0f} | "
        f"{cpu / runs * 1000:.3f} | {helper_cpu / runs * 1000:.3f} | "
        f"{statistics.median(walls) * 1000:.2f} |"
    )


async def main(runs: int) -> None:
    print("| way | command | at once | runs/s | CPU ms/run | helper CPU ms/run | wall p50 ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    spawner = Spawner()
    ways: list[tuple[str, ProcessRunner]] = [("in process", run_process), ("spawner", spawner.run)]
    try:
        for argv in (["/bin/true"], ["/bin/sleep", "0.01"]):
            for at_once in (1, 32):
                for way, runner in ways:
                    for _ in range(10):  # warm-up (and the helper's start)
                        await one(runner, argv)
                    helper = spawner.helper_pid if runner == spawner.run else None
                    print(await measure(way, runner, helper, argv, runs, at_once))
    finally:
        await spawner.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # create_app warns that the bench has no auth
    app = create_app(load_settings())
    asyncio.run(main(args.runs))
