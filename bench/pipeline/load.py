"""The load generator: submits ``noop`` reports over HTTP and waits for their events on a websocket.

It runs in its own process (so it does not share the server's event loop) and
prints one JSON object with what it measured.

- ``throughput``: ``--reports`` submissions with at most ``--concurrency`` in
  flight; time from the first submit to the last ``report.succeeded`` event.
- ``latency``: an open-loop schedule of ``--rate`` submissions per second for
  ``--duration`` seconds; per report, the time from its scheduled submit to
  its ``report.succeeded`` event at the websocket client.

The websocket client follows the documented client protocol: it remembers the
last ``seq`` it processed and, when the server closes it (a slow consumer is
cut with 4008), reconnects with ``since=`` that seq. It also checks the
channel's guarantees: sequence numbers without gaps or repeats, and exactly one
``succeeded`` event per report.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
from bench.pipeline.common import percentile
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

BODY = {"report": "noop", "params": {}, "formats": ["csv"]}
SETTLE_TIMEOUT = 120.0
RECONNECT_LIMIT = 50


@dataclass(slots=True)
class Channel:
    """What the websocket client saw."""

    succeeded: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0
    gaps: int = 0
    messages: int = 0
    reconnects: int = 0
    last_seq: int = 0
    expected: int | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def check_done(self) -> None:
        if self.expected is not None and len(self.succeeded) >= self.expected:
            self.done.set()

    def take(self, message: dict[str, Any]) -> None:
        if message.get("type") == "ready":
            self.ready.set()
            return
        seq = message.get("seq")
        if not isinstance(seq, int) or not str(message.get("type", "")).startswith("report."):
            return
        self.messages += 1
        if seq != self.last_seq + 1:
            self.gaps += 1
        self.last_seq = max(self.last_seq, seq)
        if message["type"] == "report.succeeded":
            rid = message["report_id"]
            if rid in self.succeeded:
                self.duplicates += 1
            else:
                self.succeeded[rid] = time.perf_counter()
                self.check_done()


async def listen(ws_url: str, token: str, channel: Channel, stop: asyncio.Event) -> None:
    """Receive the user's channel until ``stop``, reconnecting with ``since=`` on closes."""
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set() and channel.reconnects <= RECONNECT_LIMIT:
        url = f"{ws_url}?since={channel.last_seq}"
        try:
            async with connect(url, additional_headers=headers, max_size=None) as ws:
                async for raw in ws:
                    channel.take(json.loads(raw))
        except (ConnectionClosed, OSError):
            pass
        if not stop.is_set():
            channel.reconnects += 1
            await asyncio.sleep(0.05)


@dataclass(slots=True)
class Submitted:
    started: dict[str, float] = field(default_factory=dict)
    answered: dict[str, float] = field(default_factory=dict)
    """When each 202 arrived: the submit's own share of the latency."""
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


class Client:
    """POSTs the report requests: httpx (the default, as in every round so far) or aiohttp.

    Against ``bench.pipeline.floor`` (a server with no work behind it) httpx
    keeps 32 submissions in flight at about 260–330 reports/s on a full core,
    aiohttp at 3,800–5,200 (docs/benchmarks.md, "Fifth round"): a throughput
    above a few hundred per second is only measurable with aiohttp.
    """

    def __init__(self, kind: str, url: str, token: str, concurrency: int) -> None:
        self.kind = kind
        self.url = url + "/api/v1/reports"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.concurrency = concurrency
        self._stack = contextlib.AsyncExitStack()
        self._aiohttp: aiohttp.ClientSession | None = None
        self._httpx: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Client:
        if self.kind == "aiohttp":
            connector = aiohttp.TCPConnector(limit=self.concurrency)
            session = aiohttp.ClientSession(
                connector=connector, headers=self.headers, timeout=aiohttp.ClientTimeout(60)
            )
            self._aiohttp = await self._stack.enter_async_context(session)
        else:
            limits = httpx.Limits(
                max_connections=self.concurrency, max_keepalive_connections=self.concurrency
            )
            client = httpx.AsyncClient(headers=self.headers, limits=limits, timeout=60.0)
            self._httpx = await self._stack.enter_async_context(client)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def submit(self) -> tuple[int, Any]:
        """Status and JSON body of one ``POST /api/v1/reports``."""
        if self._aiohttp is not None:
            async with self._aiohttp.post(self.url, json=BODY) as response:
                return response.status, await response.json(content_type=None)
        assert self._httpx is not None
        reply = await self._httpx.post(self.url, json=BODY)
        return reply.status_code, reply.json()


async def submit_one(http: Client, out: Submitted, at: float | None = None) -> None:
    started = time.perf_counter() if at is None else at
    try:
        status, body = await http.submit()
    except (httpx.HTTPError, aiohttp.ClientError, TimeoutError) as exc:
        out.error(type(exc).__name__)
        return
    if status != 202:
        out.error(f"HTTP {status}")
        return
    rid = body["id"]
    out.started[rid] = started
    out.answered[rid] = time.perf_counter()


async def throughput(http: Client, n: int, concurrency: int, out: Submitted) -> None:
    remaining = iter(range(n))

    async def worker() -> None:
        for _ in remaining:
            await submit_one(http, out)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def paced(http: Client, rate: float, duration: float, out: Submitted) -> None:
    """Open loop: submission i is due at t0 + i / rate whether or not earlier ones finished,
    and its latency counts from when it was due (no coordinated omission)."""
    total = int(rate * duration)
    t0 = time.perf_counter() + 0.05
    tasks: list[asyncio.Task[None]] = []
    for i in range(total):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(submit_one(http, out, at=due)))
    await asyncio.gather(*tasks)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    ws_url = args.url.replace("http://", "ws://", 1) + "/api/v1/ws"
    channel = Channel()
    stop = asyncio.Event()
    listener = asyncio.create_task(listen(ws_url, args.token, channel, stop))
    async with asyncio.timeout(30):
        await channel.ready.wait()
    out = Submitted()
    async with Client(args.client, args.url, args.token, args.concurrency) as http:
        t0 = time.perf_counter()
        if args.mode == "throughput":
            await throughput(http, args.reports, args.concurrency, out)
        else:
            await paced(http, args.rate, args.duration, out)
        submitted_at = time.perf_counter()
    channel.expected = len(out.started)
    channel.check_done()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(channel.done.wait(), SETTLE_TIMEOUT)
    stop.set()
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await listener
    return summarize(args, out, channel, t0, submitted_at)


def summarize(
    args: argparse.Namespace, out: Submitted, channel: Channel, t0: float, submitted_at: float
) -> dict[str, Any]:
    ours = [rid for rid in out.started if rid in channel.succeeded]
    latencies = [(channel.succeeded[rid] - out.started[rid]) * 1000.0 for rid in ours]
    submits = [(out.answered[rid] - out.started[rid]) * 1000.0 for rid in out.started]
    last_event = max((channel.succeeded[rid] for rid in ours), default=submitted_at)
    elapsed = last_event - t0
    return {
        "mode": args.mode,
        "accepted": len(out.started),
        "completed": len(ours),
        "missing": len(out.started) - len(ours),
        "errors": out.errors,
        "duplicates": channel.duplicates,
        "gaps": channel.gaps,
        "reconnects": channel.reconnects,
        "messages": channel.messages,
        "submit_seconds": submitted_at - t0,
        "elapsed_seconds": elapsed,
        "submit_rate": len(out.started) / (submitted_at - t0),
        "throughput": len(ours) / elapsed if elapsed > 0 else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies, default=float("nan")),
        "submit_p50_ms": percentile(submits, 50),
        "submit_p99_ms": percentile(submits, 99),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--mode", choices=["throughput", "latency"], required=True)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--client", choices=["httpx", "aiohttp"], default="httpx")
    args = parser.parse_args(argv)
    if args.loop == "uvloop":
        import uvloop

        result = uvloop.run(run(args))
    else:
        result = asyncio.run(run(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
