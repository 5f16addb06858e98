"""Notifier benchmarks: ``.venv/bin/python -m bench.notifier [--quick]``.

1. Template rendering: Jinja2's immutable sandbox (what the notifier uses)
   against a plain Jinja2 environment, same default template, same data.
2. The receiver end to end (ASGI, history on SQLite, one HTTP channel to a
   loopback server): new notifications against deduplicated repeats.
3. Teams card building for large groups (packing and splitting under 28 KB).

Prints markdown tables; medians over several runs.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import json
import logging
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from jinja2 import ChainableUndefined, Environment
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reportflow.config import Settings
from reportflow.notifier import AlertGroup, create_app, parse_config
from reportflow.notifier.channels import Notification, TeamsChannel
from reportflow.notifier.config import TeamsChannel as TeamsConfig
from reportflow.notifier.templates import (
    DEFAULT_TEXT,
    FILTERS,
    TemplateRenderer,
    Templates,
    build_context,
)

BASE_ALERT: dict[str, Any] = {
    "status": "firing",
    "labels": {},
    "annotations": {},
    "startsAt": "2026-11-28T08:00:00Z",
    "endsAt": "0001-01-01T00:00:00Z",
    "generatorURL": "http://prometheus:9090/graph?g0.expr=reportflow_queue_depth",
    "fingerprint": "",
}


def payload(n: int, tag: str = "", description: str = "Backlog grew for 15m.") -> dict[str, Any]:
    alerts = []
    for i in range(n):
        alert = copy.deepcopy(BASE_ALERT)
        alert["labels"] = {"alertname": "BacklogGrowing", "severity": "warning", "queue": f"q{i}"}
        alert["annotations"] = {"summary": f"Backlog on q{i}{tag}", "description": description}
        raw = json.dumps(alert["labels"], sort_keys=True) + tag
        alert["fingerprint"] = hashlib.sha256(raw.encode()).hexdigest()[:16]
        alerts.append(alert)
    return {
        "version": "4",
        "groupKey": '{}:{alertname="BacklogGrowing"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "reportflow",
        "groupLabels": {"alertname": "BacklogGrowing"},
        "commonLabels": {"alertname": "BacklogGrowing", "severity": "warning"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts,
    }


def median_of(runs: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(runs))


def bench_templates(runs: int, renders: int) -> list[tuple[str, float]]:
    group = AlertGroup.model_validate(payload(20))
    ctx = {**build_context(group), "title": "t", "summary": "s"}
    plain = Environment(undefined=ChainableUndefined)
    plain.filters.update(FILTERS)
    plain_template = plain.from_string(DEFAULT_TEXT)
    sandbox = TemplateRenderer()

    def time_plain() -> float:
        start = time.perf_counter()
        for _ in range(renders):
            plain_template.render(ctx)
        return (time.perf_counter() - start) / renders * 1e6

    def time_sandbox() -> float:
        start = time.perf_counter()
        for _ in range(renders):
            sandbox.render("text", DEFAULT_TEXT, ctx)
        return (time.perf_counter() - start) / renders * 1e6

    # Alternate the two so machine noise hits both alike.
    plain_runs, sandbox_runs = [], []
    for _ in range(runs):
        plain_runs.append(time_plain())
        sandbox_runs.append(time_sandbox())
    return [
        ("plain Environment", statistics.median(plain_runs)),
        ("ImmutableSandboxedEnvironment", statistics.median(sandbox_runs)),
    ]


async def _capture_server() -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    async def ok(request: Request) -> Response:
        await request.body()
        return Response(b"ok")

    app = Starlette(routes=[Route("/{p:path}", ok, methods=["POST"])])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", ws="none", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    return server, task, f"http://127.0.0.1:{sock.getsockname()[1]}/hook"


async def bench_receiver(runs: int, requests: int) -> list[tuple[str, float, float]]:
    server, task, url = await _capture_server()
    results: dict[str, list[tuple[float, float]]] = {"new": [], "repeat": []}
    try:
        for run in range(runs):
            with tempfile.TemporaryDirectory() as home:
                config = parse_config(
                    {
                        "history_url": f"sqlite:///{Path(home) / 'h.db'}",
                        "receivers": {"ops": [{"type": "http", "url": url}]},
                        "route": {"receiver": "ops"},
                    }
                )
                app = create_app(Settings(home=Path(home)), config=config)
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://n") as client:
                    for kind in ("new", "repeat"):
                        bodies = [
                            json.dumps(payload(5, f"-{run}-{i}" if kind == "new" else f"-{run}"))
                            for i in range(requests)
                        ]
                        latencies = []
                        start = time.perf_counter()
                        for body in bodies:
                            t0 = time.perf_counter()
                            r = await client.post("/hooks/alertmanager", content=body)
                            latencies.append(time.perf_counter() - t0)
                            assert r.status_code == 200, r.text
                        elapsed = time.perf_counter() - start
                        results[kind].append(
                            (requests / elapsed, statistics.median(latencies) * 1000)
                        )
                await app.state.notifier.aclose()
    finally:
        server.should_exit = True
        await task
    return [
        (kind, statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows))
        for kind, rows in results.items()
    ]


def bench_teams(runs: int) -> list[tuple[int, int, float]]:
    cfg = TeamsConfig.model_validate({"type": "teams", "url": "http://127.0.0.1:9/x"})
    out = []
    for n in (10, 100, 1000):
        group = AlertGroup.model_validate(payload(n, description="d" * 200))
        channel = TeamsChannel("t", cfg, httpx.AsyncClient())
        parts = 0

        def once(group: AlertGroup = group, channel: TeamsChannel = channel) -> float:
            nonlocal parts
            note = Notification(
                group, "ops", Templates().resolved(), TemplateRenderer(), build_context(group)
            )
            start = time.perf_counter()
            parts = len(channel.messages(note))
            return (time.perf_counter() - start) * 1000

        ms = median_of(runs, once)
        out.append((n, parts, ms))
    return out


def main() -> None:
    logging.getLogger("reportflow").setLevel(logging.ERROR)  # the no-auth warning
    parser = argparse.ArgumentParser(prog="python -m bench.notifier")
    parser.add_argument("--quick", action="store_true", help="fewer runs, for a smoke test")
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    renders = 200 if args.quick else 2000
    requests = 50 if args.quick else 300

    rows = bench_templates(runs, renders)
    base = rows[0][1]
    print("### Template rendering (default text template, 20 alerts)\n")
    print("| environment | µs per render | ratio |\n|---|---:|---:|")
    for name, us in rows:
        print(f"| {name} | {us:.1f} | {us / base:.2f}× |")

    rec = asyncio.run(bench_receiver(runs, requests))
    print("\n### Receiver, sequential requests (ASGI, SQLite history, HTTP channel on loopback)\n")
    print("| requests | per second | median latency ms |\n|---|---:|---:|")
    for kind, rps, p50 in rec:
        label = "new notification (sent + recorded)" if kind == "new" else "repeat (deduplicated)"
        print(f"| {label} | {rps:.0f} | {p50:.2f} |")

    teams = bench_teams(runs)
    print("\n### Teams cards (200-character descriptions, 28 KB limit)\n")
    print("| alerts | messages | ms to build |\n|---|---:|---:|")
    for n, parts, ms in teams:
        print(f"| {n} | {parts} | {ms:.1f} |")


if __name__ == "__main__":
    main()
