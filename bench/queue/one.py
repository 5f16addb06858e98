"""Run one measurement and print it as JSON (called by ``bench.queue`` in a subprocess).

    python -m bench.queue.one SYSTEM throughput --jobs 10000
    python -m bench.queue.one SYSTEM latency --rate 200 --seconds 10

SYSTEM: rf-memory, rf-sqlite, rf-postgres (bare consumer loop),
rf-memory-runner, rf-sqlite-runner, rf-postgres-runner (the runner pool),
saq, celery, procrastinate, taskiq.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any


async def measure(system: str, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    if system.startswith("rf-"):
        from bench.queue import rf

        parts = system.split("-")
        backend, how = parts[1], ("runner" if parts[-1] == "runner" else "loop")
        if mode == "throughput":
            return await rf.throughput(backend, how, args.jobs)
        return await rf.latency(backend, how, args.rate, args.seconds)
    module = __import__(f"bench.queue.sys_{system}", fromlist=["throughput"])
    if mode == "throughput":
        result: dict[str, Any] = await module.throughput(args.jobs)
    else:
        result = await module.latency(args.rate, args.seconds)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("system")
    parser.add_argument("mode", choices=["throughput", "latency"])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    result = asyncio.run(measure(args.system, args.mode, args))
    if args.mode == "latency":
        from bench.queue.common import ENQUEUE_SECONDS

        result["enqueue_seconds"] = ENQUEUE_SECONDS
    print(json.dumps({"system": args.system, "mode": args.mode, **result}))


if __name__ == "__main__":
    main()
