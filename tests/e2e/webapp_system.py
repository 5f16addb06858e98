"""The whole embedded reportflow in the test's event loop, composed as ``reportflow up`` does.

Requestor (API + web pages) served by uvicorn on a free loopback port, a
runner whose events go through the signed webhook and the durable outbox to
the requestor's own ``/hooks/runner``, SQLite for the store and the queue, a
local artifact directory, the demo warehouse and the demo catalog. The
runner starts with zero slots, so a test decides when reports may run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from reportflow.config import Settings
from reportflow.demo import build_warehouse
from reportflow.requestor.auth import hash_password
from reportflow.requestor.embedded import embedded_settings
from reportflow.requestor.server import QuietServer, open_requestor, uvicorn_config
from reportflow.runner.pool import Runner
from reportflow.runner.service import build_runner, report_executor
from reportflow.store import Role, users
from reportflow.webhooks import WebhookSink

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
WAREHOUSE_ROWS = 2_000
STARTUP_SECONDS = 20.0


@dataclass
class System:
    base_url: str
    app: FastAPI
    runner: Runner
    settings: Settings


async def _add_user(app: FastAPI, name: str, *, admin: bool) -> None:
    hashed = await asyncio.to_thread(hash_password, PASSWORD)
    role = Role.ADMIN if admin else Role.USER
    async with app.state.services.store.transaction() as db:
        await users.create_user(db, name, role=role, password_hash=hashed)


async def _serve(app: FastAPI) -> tuple[QuietServer, asyncio.Task[None], int]:
    server = QuietServer(uvicorn_config(app, "127.0.0.1", 0))
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(STARTUP_SECONDS):
        while not server.started:
            if serving.done():
                await serving
                raise RuntimeError("uvicorn stopped during startup")
            await asyncio.sleep(0.02)
    port = int(server.servers[0].sockets[0].getsockname()[1])
    return server, serving, port


@asynccontextmanager
async def embedded_system(home: Path) -> AsyncIterator[System]:
    warehouse = home / "warehouse.db"
    await asyncio.to_thread(build_warehouse, f"sqlite:///{warehouse}", WAREHOUSE_ROWS)
    settings = embedded_settings(
        Settings(
            home=home,
            catalog=[REPO / "reports"],
            connections={"warehouse": f"sqlite:///{warehouse}"},
            runner={"concurrency": 0, "heartbeat_seconds": 1.0},
            requestor={"secure_cookies": False},
        )
    )
    assert settings.webhook_secret is not None
    async with open_requestor(settings) as app:
        await _add_user(app, "ann", admin=False)
        await _add_user(app, "root", admin=True)
        server, serving, port = await _serve(app)
        sink = await WebhookSink.connect(
            f"http://127.0.0.1:{port}/hooks/runner",
            settings.webhook_secret.split(),
            settings.resolved_database_url,
            name="e2e-runner",
        )
        runner = build_runner(
            settings, app.state.services.queue, report_executor(settings), sink=sink
        )
        app.state.runners = [runner]
        await runner.start()
        try:
            yield System(f"http://127.0.0.1:{port}", app, runner, settings)
        finally:
            await runner.drain(grace=5.0)
            await sink.close()
            server.should_exit = True
            await serving
