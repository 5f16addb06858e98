"""A websocket client process for the fan-out benchmark.

Opens ``--connections`` websockets to one user's channel (bounded connect
concurrency), prints ``READY n`` once all are live, then records, per
connection, the delay of every ``report.progress`` entry: the receive time
minus the entry's ``at``, which the benchmark's driver sets to the wall-clock
time it sent the webhook (same machine, same clock). It stops at the
report's final entry on every connection (or ``--timeout``) and writes the
delays as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from bench.pipeline.common import raise_fd_limit
from websockets.asyncio.client import ClientConnection, connect

CONNECT_CONCURRENCY = 64
FINAL = "report.succeeded"


async def open_one(
    url: str, headers: dict[str, str], gate: asyncio.Semaphore, compression: bool
) -> ClientConnection:
    async with gate:
        ws = await connect(
            url,
            additional_headers=headers,
            compression="deflate" if compression else None,
            open_timeout=120,
            ping_interval=None,  # keepalive pings would add load unrelated to fan-out
            max_queue=None,
        )
        while True:  # the replay of older entries, then "ready"
            message = json.loads(await ws.recv())
            if message.get("type") == "ready":
                return ws


async def listen(ws: ClientConnection, delays: list[float]) -> None:
    async for raw in ws:
        now = time.time()
        message: dict[str, Any] = json.loads(raw)
        kind = message.get("type")
        if kind == "report.progress":
            delays.append((now - float(message["at"])) * 1000.0)
        elif kind == FINAL:
            return


async def run(args: argparse.Namespace) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {args.token}"}
    url = f"{args.url}?since={args.since}"
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    started = time.perf_counter()
    sockets = await asyncio.gather(
        *(open_one(url, headers, gate, args.compression) for _ in range(args.connections))
    )
    connect_seconds = time.perf_counter() - started
    print(f"READY {len(sockets)}", flush=True)
    delays: list[float] = []
    listeners = [asyncio.create_task(listen(ws, delays)) for ws in sockets]
    done, pending = await asyncio.wait(listeners, timeout=args.timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return {
        "connections": len(sockets),
        "finished": len(done),
        "connect_seconds": connect_seconds,
        "delays_ms": delays,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="ws://host:port/api/v1/ws")
    parser.add_argument("--token", required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--since", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--out", required=True, help="file for the JSON result")
    parser.add_argument("--compression", action="store_true", help="offer permessage-deflate")
    args = parser.parse_args(argv)
    raise_fd_limit()
    import uvloop

    result = uvloop.run(run(args))
    # A file, not stdout: with thousands of sockets just closed, a result of
    # several hundred kB on the stdout pipe arrived cut off at 64 kB.
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
