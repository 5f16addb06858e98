"""Websocket fan-out benchmark: one user's event to thousands of connected clients.

    .venv/bin/python -m bench.fanout                      # 5,000 clients, 2 processes, 3 runs
    .venv/bin/python -m bench.fanout --clients 500 --runs 1

Set-up per run: a fresh requestor (``bench.pipeline.server --mode requestor``,
SQLite store, no runner) in its own process; one user with one queued
``sleep`` report; ``--clients`` websockets on that user's channel, spread
over ``--processes`` client processes (``bench.fanout.clients``). The driver
then plays the runner: it sends signed ``POST /hooks/runner`` webhooks —
``started``, then ``--events`` ``progress`` events ``--interval`` seconds
apart, then ``succeeded`` — each ``progress`` carrying the wall-clock time it
was sent as its ``at``. Every client records ``receive time − at`` for every
progress entry, so a delay covers the whole publish path: verify the
signature, apply the event in the store, append it to the user's log, fan it
out, and the client process getting to the message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from bench.pipeline.common import (
    ServerSpec,
    make_user,
    median,
    percentile,
    raise_fd_limit,
    running_server,
)

from reportflow.runner.events import EventKind, ReportEvent
from reportflow.webhooks import WebhookClient, generate_secret
from reportflow.webhooks.sink import event_payload

READY_TIMEOUT = 300.0


def _spawn_clients(
    args: argparse.Namespace, url: str, token: str, since: int, home: Path
) -> list[tuple[Any, Path]]:
    per = [args.clients // args.processes] * args.processes
    per[0] += args.clients - sum(per)
    procs = []
    for i, n in enumerate(per):
        out = home / f"clients-{i}.json"
        argv = [sys.executable, "-m", "bench.fanout.clients", "--url", url, "--token", token]
        argv += ["--connections", str(n), "--since", str(since), "--out", str(out)]
        argv += ["--timeout", str(args.events * args.interval + 120)]
        if args.compression:
            argv.append("--compression")
        procs.append((subprocess.Popen(argv, stdout=subprocess.PIPE, text=True), out))
    deadline = time.monotonic() + READY_TIMEOUT
    for proc, _ in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # bounded: the client's own open_timeout ends it
        if not line.startswith("READY") or time.monotonic() > deadline:
            raise RuntimeError(f"a client process did not connect: {line!r}")
    return procs


async def _drive(args: argparse.Namespace, base: str, secret: str, report_id: str) -> list[float]:
    """Send started, the progress events, succeeded; returns each progress POST's latency."""
    posts: list[float] = []
    async with WebhookClient(base + "/hooks/runner", secret) as client:

        async def send(kind: EventKind, **data: Any) -> float:
            event = ReportEvent(kind, report_id, "sleep", 1, at=time.time(), data=data)
            attempt = await client.send(f"msg_{uuid.uuid4().hex}", event_payload(event))
            if attempt.status != 200:
                raise RuntimeError(f"webhook {kind.value} answered {attempt.status}")
            return attempt.latency * 1000.0

        await send(EventKind.STARTED)
        await asyncio.sleep(args.interval)
        for i in range(args.events):
            posts.append(await send(EventKind.PROGRESS, stage="extract", rows=i, percent=i))
            await asyncio.sleep(args.interval)
        await send(EventKind.SUCCEEDED, artifacts=[], rows=args.events)
    return posts


def one_run(args: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="rf-bench-fanout-"))
    database_url = f"sqlite:///{home / 'reportflow.db'}"
    secret = generate_secret()
    try:
        token = make_user(database_url)
        spec = ServerSpec(home=home, database_url=database_url, mode="requestor")
        spec.webhook_secret = secret
        spec.profile = Path(args.profile) if args.profile else None
        with running_server(spec) as server:
            auth = {"Authorization": f"Bearer {token}"}
            body = {"report": "sleep", "params": {"seconds": 1}}
            created = httpx.post(server.url + "/api/v1/reports", json=body, headers=auth)
            created.raise_for_status()
            since = httpx.get(server.url + "/api/v1/events", headers=auth).json()["last_seq"]
            ws_url = server.url.replace("http://", "ws://") + "/api/v1/ws"
            started = time.perf_counter()
            procs = _spawn_clients(args, ws_url, token, since, home)
            connect_seconds = time.perf_counter() - started
            cpu0 = server.cpu_seconds()
            posts = asyncio.run(_drive(args, server.url, secret, created.json()["id"]))
            cpu = server.cpu_seconds() - cpu0
            delays: list[float] = []
            finished = 0
            for proc, out in procs:
                proc.communicate(timeout=args.events * args.interval + 180)
                result = json.loads(out.read_text())
                delays += result["delays_ms"]
                finished += result["finished"]
        return {
            "clients": args.clients,
            "expected": args.clients * args.events,
            "received": len(delays),
            "finished": finished,
            "connect_seconds": connect_seconds,
            "p50_ms": percentile(delays, 50),
            "p95_ms": percentile(delays, 95),
            "p99_ms": percentile(delays, 99),
            "max_ms": max(delays, default=float("nan")),
            "post_p50_ms": percentile(posts, 50),
            "server_cpu_ms_per_event": cpu * 1000.0 / (args.events + 2),
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compression", action="store_true", help="clients offer deflate")
    parser.add_argument("--profile", help="write a py-spy profile of the server here")
    args = parser.parse_args(argv)
    raise_fd_limit()
    results = []
    for i in range(args.runs):
        result = one_run(args)
        print(f"# run {i + 1}: {result}", file=sys.stderr)
        results.append(result)

    def med(key: str) -> str:
        return f"{median([float(r[key]) for r in results]):,.1f}"

    deflate = "deflate" if args.compression else "no compression"
    print(
        "| clients | processes | events | ws | received | connect s | p50 ms | p95 ms "
        "| p99 ms | max ms | webhook POST p50 ms | server CPU ms/event | runs |\n"
        "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {args.clients:,} | {args.processes} | {args.events} | {deflate} "
        f"| {med('received')} of {args.clients * args.events:,} | {med('connect_seconds')} "
        f"| {med('p50_ms')} | {med('p95_ms')} | {med('p99_ms')} | {med('max_ms')} "
        f"| {med('post_p50_ms')} | {med('server_cpu_ms_per_event')} | {len(results)} |"
    )


if __name__ == "__main__":
    main()
