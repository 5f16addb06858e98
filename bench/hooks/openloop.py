"""Open-loop load for one URL: requests leave on a fixed schedule, whatever the server does.

Run from the repository root::

    .venv/bin/python -m bench.hooks.openloop URL --rate 1000 --duration 10

``wrk`` keeps a fixed number of connections busy: a slow answer holds back the
next request on its connection, so the server sets the pace and a backlog can
never build (a closed loop). Here request *i* is due at ``start + i / rate``
and leaves then (on one of ``--connections`` keep-alive connections, waiting
for one when all are busy), and its latency counts from when it was due, so
time spent waiting for a connection counts too (no coordinated omission).
When the server cannot keep up, its backlog and the latencies grow for as
long as the run lasts; that is what this measures.

``--arrivals poisson`` spaces the requests as a Poisson process of the same
mean rate (exponential gaps, drawn from ``--seed``, so every server under
test gets the same schedule): traffic from many independent senders arrives
in bursts, which the even spacing of ``uniform`` (the default) never has.

Sends ``rate × duration`` requests, then waits at most ``--drain`` seconds for
the answers still out (those are counted as ``unfinished``). Prints one JSON
object: requests sent and answered, answers by status, latency percentiles of
all answers and of the 2xx ones, and how late the generator itself sent
(``send_lag_ms_max``: if it is large, the load generator was the bottleneck).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import uvloop

BODY = json.dumps({"ref": "refs/heads/main", "repository": {"name": "reportflow"}}).encode()
_TICK = 0.001


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    ok_latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    lag_max: float = 0.0


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1] * 1000


async def _one(session: aiohttp.ClientSession, url: str, due: float, tally: Tally) -> None:
    try:
        async with session.post(url, data=BODY, headers={"Content-Type": "application/json"}) as r:
            await r.read()
            status = str(r.status)
    except (aiohttp.ClientError, OSError) as exc:
        status = f"error: {type(exc).__name__}"
    latency = time.monotonic() - due
    tally.statuses[status] += 1
    if not status.startswith("error"):
        tally.latencies.append(latency)
        if status.startswith("2"):
            tally.ok_latencies.append(latency)


def schedule(rate: float, duration: float, arrivals: str, seed: int) -> list[float]:
    """Seconds from the start at which each request is due."""
    total = int(rate * duration)
    if arrivals == "uniform":
        return [i / rate for i in range(total)]
    rng = random.Random(seed)
    due, at = [], 0.0
    for _ in range(total):
        due.append(at)
        at += rng.expovariate(rate)
    return due


async def attack(
    url: str,
    rate: float,
    duration: float,
    connections: int,
    drain: float,
    arrivals: str = "uniform",
    seed: int = 1,
) -> dict[str, Any]:
    offsets = schedule(rate, duration, arrivals, seed)
    total = len(offsets)
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks: set[asyncio.Task[None]] = set()
        start = time.monotonic() + 0.05
        sent = 0
        while sent < total:
            now = time.monotonic()
            while sent < total and start + offsets[sent] <= now:
                due = start + offsets[sent]
                tally.lag_max = max(tally.lag_max, now - due)
                task = asyncio.create_task(_one(session, url, due, tally))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                sent += 1
            await asyncio.sleep(_TICK)
        sending = time.monotonic() - start
        _, pending = await asyncio.wait(tasks, timeout=drain) if tasks else (set(), set())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    answered = len(tally.latencies)
    ok = len(tally.ok_latencies)
    return {
        "rate": rate,
        "arrivals": arrivals,
        "duration_s": duration,
        "sent": sent,
        "sending_s": round(sending, 3),
        "answered": answered,
        "ok": ok,
        "ok_per_s": round(ok / max(sending, 1e-9), 1),
        "unfinished": len(pending),
        "statuses": dict(tally.statuses),
        "p50_ms": _pct(tally.latencies, 0.5),
        "p99_ms": _pct(tally.latencies, 0.99),
        "max_ms": max(tally.latencies) * 1000 if tally.latencies else None,
        "ok_p50_ms": _pct(tally.ok_latencies, 0.5),
        "ok_p99_ms": _pct(tally.ok_latencies, 0.99),
        "send_lag_ms_max": round(tally.lag_max * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of sending")
    parser.add_argument("--connections", type=int, default=256, help="keep-alive connections")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for answers")
    parser.add_argument("--arrivals", choices=["uniform", "poisson"], default="uniform")
    parser.add_argument("--seed", type=int, default=1, help="the Poisson schedule's seed")
    args = parser.parse_args()
    result = uvloop.run(
        attack(
            args.url,
            args.rate,
            args.duration,
            args.connections,
            args.drain,
            args.arrivals,
            args.seed,
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
