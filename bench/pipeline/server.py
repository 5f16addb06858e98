"""The server under test, in its own process.

``embedded``: :func:`reportflow.requestor.embedded.serve_embedded` (requestor +
runner + the signed webhook path, one port), as ``reportflow up`` runs it.
``requestor``: the requestor alone (the fan-out benchmark sends the runner
webhooks itself). ``floor``: :mod:`bench.pipeline.floor`, the same HTTP and
websocket stack with no work behind it.

    .venv/bin/python -m bench.pipeline.server --home /tmp/x --port 8123
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from bench.pipeline.common import raise_fd_limit

from reportflow.config import RequestorSettings, RunnerSettings, Settings
from reportflow.logs import setup_logging


def bench_settings(args: argparse.Namespace) -> Settings:
    """Embedded defaults, with the per-user rate limits off (0).

    The limits protect a shared service from one user; here one user *is* the
    load, so they are switched off rather than spread over many users. (Raised
    instead, they would read a whole minute of this user's submissions, 6,000
    rows at 100/s, where a real user's are bounded by the limit.) Pings are
    slowed down because the load clients do not speak the application ping.
    """
    return Settings(
        home=Path(args.home),
        database_url=args.database_url,
        catalog=[],
        requestor=RequestorSettings(
            secure_cookies=False,
            submissions_per_minute=0,
            max_in_flight=0,
            ws_ping_seconds=3600.0,
            ws_buffer=args.ws_buffer,
        ),
        runner=RunnerSettings(
            concurrency=args.concurrency,
            max_concurrency=max(64, args.concurrency),
            claim_batch=min(64, max(1, args.concurrency)),
        ),
        webhook_secret=args.webhook_secret,
        log_level=args.log_level,
        log_format="json",
    )


async def _requestor(settings: Settings, port: int) -> None:
    from reportflow.requestor.server import serve

    await serve(settings, "127.0.0.1", port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--mode", choices=["embedded", "requestor", "floor"], default="embedded")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--ws-buffer", type=int, default=4096)
    parser.add_argument("--webhook-secret", default=None)
    parser.add_argument(
        "--stages", type=Path, help="record stage times here (bench.pipeline.stages)"
    )
    args = parser.parse_args(argv)
    raise_fd_limit()
    settings = bench_settings(args)
    setup_logging(settings.log_level, settings.log_format)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    if args.stages is not None:
        from bench.pipeline import stages

        stages.install()
    main_coro: Coroutine[Any, Any, None]
    if args.mode == "embedded":
        from reportflow.requestor.embedded import serve_embedded

        main_coro = serve_embedded(settings, "127.0.0.1", args.port)
    elif args.mode == "floor":
        from bench.pipeline.floor import serve

        main_coro = serve(args.port)
    else:
        main_coro = _requestor(settings, args.port)
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(main_coro)
    else:
        asyncio.run(main_coro)
    if args.stages is not None:
        stages.dump(args.stages)


if __name__ == "__main__":
    main()
