"""Webhook benchmarks: signing/verifying, and outbox delivery throughput.

Run from the repository root::

    .venv/bin/python -m bench.webhooks.run [--messages 500] [--repeats 5]

1. sign + verify of a 1 KiB body: reportflow.webhooks vs the Standard Webhooks
   reference library (``standardwebhooks``), same secret, same body.
2. N final-event messages delivered to a loopback uvicorn receiver (its own process):
   direct ``WebhookClient.send`` (no durability, the floor), the outbox on
   SQLite, the outbox on PostgreSQL (skipped when PostgreSQL is unreachable).

Prints a markdown table of medians over ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import standardwebhooks

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


class Counter:
    """Counts answered requests on the sender's side; the receiver runs in its own process."""

    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.done = asyncio.Event()

    async def on_response(self, response: httpx.Response) -> None:
        self.count += 1
        if self.count >= self.target:
            self.done.set()

    def expect(self, n: int) -> httpx.AsyncClient:
        self.count, self.target = 0, n
        self.done.clear()
        return httpx.AsyncClient(event_hooks={"response": [self.on_response]})


@contextlib.contextmanager
def receiver_process() -> Iterator[str]:
    """uvicorn serving ``bench.webhooks.receiver`` on a free port, in a subprocess."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cmd = [sys.executable, "-m", "uvicorn", "bench.webhooks.receiver:app", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--log-level", "warning", "--no-access-log", "--lifespan", "off"]
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("benchmark receiver did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/hooks"
    finally:
        proc.terminate()
        proc.wait(10)


async def deliver_direct(url: str, counter: Counter, secret: str, n: int) -> float:
    """Messages/s for bare signed POSTs, 16 at a time (the dispatcher's batch size)."""
    async with counter.expect(n) as http:
        client = WebhookClient(url, secret, http=http)
        sem = asyncio.Semaphore(16)

        async def one(i: int) -> None:
            async with sem:
                await client.send(f"msg_{i}", {"i": i})

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return n / (time.perf_counter() - start)


async def deliver_outbox(url: str, counter: Counter, secret: str, n: int, db: str) -> float:
    """Messages/s from the first add() to the last attempt recorded as delivered."""
    outbox = Outbox.from_url(db)
    await outbox.create_tables()
    async with counter.expect(n) as http:
        client = WebhookClient(url, secret, http=http, name="bench")
        dispatcher = OutboxDispatcher(outbox, client, poll_interval=0.5)
        await dispatcher.start()
        start = time.perf_counter()
        for i in range(n):
            await outbox.add("bench", f"msg_{uuid.uuid4().hex}", {"i": i})
        await counter.done.wait()
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


async def bench_delivery(url: str, n: int, repeats: int) -> dict[str, list[float]]:
    counter = Counter()
    secret = generate_secret()
    names = ["direct (no outbox)", "outbox sqlite", "outbox postgres"]
    results: dict[str, list[float]] = {name: [] for name in names}
    pg = _pg_database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(repeats):
                results[names[0]].append(await deliver_direct(url, counter, secret, n))
                db = f"sqlite:///{Path(tmp) / f'outbox{r}.db'}"
                results[names[1]].append(await deliver_outbox(url, counter, secret, n, db))
                if pg is not None:
                    await _empty(pg[0])
                    results[names[2]].append(await deliver_outbox(url, counter, secret, n, pg[0]))
    finally:
        if pg is not None:
            pg[1]()
    return {k: v for k, v in results.items() if v}


async def _empty(db: str) -> None:
    from sqlalchemy import text

    box = Outbox.from_url(db)
    await box.create_tables()
    async with box.engine.begin() as conn:
        await conn.execute(text("DELETE FROM reportflow_webhook_outbox"))
    await box.close()


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

    with receiver_process() as url:
        delivery = asyncio.run(bench_delivery(url, args.messages, args.repeats))
    print(f"\n## {args.messages} messages to a loopback receiver (median of {args.repeats})\n")
    print("| path | messages/s | ratio to direct |\n|---|---:|---:|")
    floor = statistics.median(delivery["direct (no outbox)"])
    for name, values in delivery.items():
        value = statistics.median(values)
        print(f"| {name} | {value:,.0f} | {value / floor:.2f}x |")


if __name__ == "__main__":
    main()
