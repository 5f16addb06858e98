"""A requestor served by uvicorn on loopback that can be stopped and started
again on the same port, and a runner (its own queue connection, a WebhookSink
with an SQLite outbox) in the same event loop: the scale-out mode in one test.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from fastapi import FastAPI

from reportflow.catalog import Catalog, Registry
from reportflow.config import Settings
from reportflow.queue import Job
from reportflow.requestor.auth import digest, new_token
from reportflow.requestor.server import QuietServer, open_requestor, uvicorn_config
from reportflow.runner.context import JobContext
from reportflow.store import Role, users
from reportflow.webhooks import generate_secret

START_TIMEOUT = 20.0


def catalog() -> Catalog:
    registry = Registry()

    @registry.report(
        name="slow",
        title="A report that takes a while",
        parameters=[{"name": "n", "type": "integer", "min": 0, "default": 0}],
    )
    def slow(n: int) -> list[dict[str, Any]]:
        return [{"n": n}]

    return Catalog.load(registry=registry)


class SlowExecutor:
    """Runs a job for 0.2-0.5 s with progress, like a small report."""

    def __init__(self, seed: int = 7) -> None:
        self._random = random.Random(seed)
        self.runs: list[str] = []

    async def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        self.runs.append(job.id)
        await ctx.progress("extract", 0, 0.0)
        await asyncio.sleep(self._random.uniform(0.2, 0.5))
        await ctx.progress("render", 10, 100.0)
        return {"artifacts": [], "rows": 10}


@dataclass
class Requestor:
    """One requestor process's worth: settings, and the app while it is up."""

    settings: Settings
    port: int = 0
    app: FastAPI | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hook_url(self) -> str:
        return f"{self.base_url}/hooks/runner"

    @asynccontextmanager
    async def up(self) -> AsyncIterator[FastAPI]:
        """Open the store and queue, serve on ``port`` (a free one the first time)."""
        async with open_requestor(self.settings, catalog=catalog()) as app:
            server = QuietServer(uvicorn_config(app, "127.0.0.1", self.port))
            serving = asyncio.create_task(server.serve())
            async with asyncio.timeout(START_TIMEOUT):
                while not server.started:
                    if serving.done():
                        await serving
                    await asyncio.sleep(0.02)
            self.port = server.servers[0].sockets[0].getsockname()[1]
            self.app = app
            try:
                yield app
            finally:
                self.app = None
                server.should_exit = True
                await serving

    async def add_user(self, name: str) -> None:
        assert self.app is not None
        token = new_token()
        async with self.app.state.services.store.transaction() as db:
            user = await users.create_user(db, name, role=Role.USER, password_hash=None)
            await users.create_token(db, user.id, digest(token))
        self.tokens[name] = token

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def channel(self, user: str, since: int) -> Any:
        return websockets.connect(
            f"ws://127.0.0.1:{self.port}/api/v1/ws?since={since}",
            additional_headers=self.headers(user),
            max_queue=None,
        )


def requestor_settings(home: Path) -> Settings:
    db = f"sqlite:///{home / 'requestor.db'}"
    return Settings(
        home=home,
        database_url=db,
        queue_url=db,  # the embedded layout: the job commits with the report row
        webhook_secret=generate_secret(),
        session_secret="reliability",
        # Results must come through the runner's outbox here, not the reconciler.
        requestor={"secure_cookies": False, "reconcile_interval_seconds": 0},
    )


async def read_channel(
    ws: Any,
    *,
    until: Callable[[list[dict[str, Any]]], bool] | None = None,
    count: int | None = None,
    timeout: float = 30.0,
) -> tuple[list[dict[str, Any]], bool]:
    """Log entries from a channel until ``until(entries)`` holds, ``count`` arrived,
    or the server closes it; returns the entries and whether it was closed."""
    got: list[dict[str, Any]] = []

    def done() -> bool:
        if count is not None and len(got) >= count:
            return True
        return until is not None and until(got)

    async with asyncio.timeout(timeout):
        while not done():
            try:
                message = json.loads(await ws.recv())
            except websockets.ConnectionClosed:
                return got, True
            if message["type"].startswith("report."):
                got.append(message)
    return got, False
