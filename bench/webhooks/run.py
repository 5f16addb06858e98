"""Webhook benchmarks: signing/verifying, and outbox delivery throughput.

Run from the repository root::

    .venv/bin/python -m bench.webhooks.run [--messages 500] [--repeats 5]

1. sign + verify of a 1 KiB body: reportflow.webhooks vs the Standard Webhooks
   reference library (``standardwebhooks``), same secret, same body.
2. N final-event messages delivered to a loopback uvicorn receiver:
   direct ``WebhookClient.send`` (no durability, the floor), the outbox on
   SQLite, the outbox on PostgreSQL (skipped when PostgreSQL is unreachable).

Prints a markdown table of medians over ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import standardwebhooks
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reportflow.webhooks import (
    MessageState,
    Outbox,
    OutboxDispatcher,
    Verifier,
    WebhookClient,
    generate_secret,
    sign,
)

BODY = ('{"type":"report.succeeded","data":{"pad":"' + "x" * 980 + '"}}').encode()
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def bench_signing(rounds: int) -> dict[str, float]:
    """Sign + verify operations per second for each library."""
    secret = generate_secret()
    ts = int(time.time())
    ours = Verifier(secret)
    ref = standardwebhooks.Webhook(secret)
    text = BODY.decode()
    when = datetime.fromtimestamp(ts, UTC)

    def reportflow_once() -> None:
        headers = {"webhook-id": "msg_b", "webhook-timestamp": str(ts)}
        headers["webhook-signature"] = sign(secret, "msg_b", ts, BODY)
        ours.verify(headers, BODY)

    def reference_once() -> None:
        headers = {"webhook-id": "msg_b", "webhook-timestamp": str(ts)}
        headers["webhook-signature"] = ref.sign("msg_b", when, text)
        ref.verify(text, headers, json_parse=False)

    return {
        "reportflow": _rate(reportflow_once, rounds),
        "standardwebhooks": _rate(reference_once, rounds),
    }


def _rate(fn: Callable[[], None], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        fn()
    return rounds / (time.perf_counter() - start)


class Sink:
    """The receiver: verifies nothing (not what is measured), counts, answers 204."""

    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.done = asyncio.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hooks"

    async def handle(self, request: Request) -> Response:
        await request.body()
        self.count += 1
        if self.count >= self.target:
            self.done.set()
        return Response(status_code=204)

    def expect(self, n: int) -> None:
        self.count, self.target = 0, n
        self.done.clear()


async def deliver_direct(sink: Sink, secret: str, n: int) -> float:
    sink.expect(n)
    async with WebhookClient(sink.url, secret) as client:
        start = time.perf_counter()
        sem = asyncio.Semaphore(16)  # the dispatcher's default batch size

        async def one(i: int) -> None:
            async with sem:
                await client.send(f"msg_{i}", {"i": i})

        await asyncio.gather(*(one(i) for i in range(n)))
        await sink.done.wait()
        return n / (time.perf_counter() - start)


async def deliver_outbox(sink: Sink, secret: str, n: int, url: str) -> float:
    """Messages/s from the first add() to the last one recorded as delivered."""
    sink.expect(n)
    outbox = Outbox.from_url(url)
    await outbox.create_tables()
    async with WebhookClient(sink.url, secret, name="bench") as client:
        dispatcher = OutboxDispatcher(outbox, client, poll_interval=0.5)
        await dispatcher.start()
        start = time.perf_counter()
        for i in range(n):
            await outbox.add("bench", f"msg_{uuid.uuid4().hex}", {"i": i})
        await sink.done.wait()
        await dispatcher.stop()  # returns once the attempts in flight are recorded
        elapsed = time.perf_counter() - start
    states = {d.state for d in await outbox.list_deliveries(limit=n)}
    await outbox.close()
    assert states == {MessageState.DELIVERED}, states
    return n / elapsed


def _pg_database() -> tuple[str, Callable[[], None]] | None:
    try:
        import psycopg

        name = f"rf_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=2) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception:  # PostgreSQL absent: that row is skipped
        return None

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql://postgres@127.0.0.1:5432/{name}", drop


async def bench_delivery(n: int, repeats: int) -> dict[str, list[float]]:
    sink = Sink()
    app = Starlette(routes=[Route("/hooks", sink.handle, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    )
    serving = asyncio.create_task(server.serve(sockets=[sink.sock]))
    secret = generate_secret()
    results: dict[str, list[float]] = {
        "direct (no outbox)": [],
        "outbox sqlite": [],
        "outbox postgres": [],
    }
    pg = _pg_database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(repeats):
                results["direct (no outbox)"].append(await deliver_direct(sink, secret, n))
                db = Path(tmp) / f"outbox{r}.db"
                results["outbox sqlite"].append(
                    await deliver_outbox(sink, secret, n, f"sqlite:///{db}")
                )
                if pg is not None:
                    from sqlalchemy import text

                    box = Outbox.from_url(pg[0])
                    await box.create_tables()
                    async with box.engine.begin() as conn:  # each run starts empty
                        await conn.execute(text("DELETE FROM reportflow_webhook_outbox"))
                    await box.close()
                    results["outbox postgres"].append(await deliver_outbox(sink, secret, n, pg[0]))
    finally:
        if pg is not None:
            pg[1]()
        server.should_exit = True
        await serving
    return {k: v for k, v in results.items() if v}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sign-rounds", type=int, default=20000)
    args = parser.parse_args()

    signing = [bench_signing(args.sign_rounds) for _ in range(args.repeats)]
    print(f"## sign + verify, 1 KiB body (median of {args.repeats})\n")
    print("| library | ops/s | ratio |\n|---|---:|---:|")
    medians = {k: statistics.median(s[k] for s in signing) for k in signing[0]}
    base = medians["standardwebhooks"]
    for name, value in medians.items():
        print(f"| {name} | {value:,.0f} | {value / base:.2f}x |")

    delivery = asyncio.run(bench_delivery(args.messages, args.repeats))
    print(f"\n## {args.messages} messages to a loopback receiver (median of {args.repeats})\n")
    print("| path | messages/s | ratio to direct |\n|---|---:|---:|")
    floor = statistics.median(delivery["direct (no outbox)"])
    for name, values in delivery.items():
        value = statistics.median(values)
        print(f"| {name} | {value:,.0f} | {value / floor:.2f}x |")


if __name__ == "__main__":
    main()
