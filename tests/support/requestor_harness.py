"""A requestor wired to real collaborators, for API tests (in-process) and live ones (uvicorn).

SQLite store (a temp file), the memory queue, a small Python catalog, the
memory artifact store and the in-process broadcast: everything the app does,
minus the network.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from reportflow.artifacts import MemoryArtifactStore
from reportflow.catalog import Catalog, Registry
from reportflow.config import Settings
from reportflow.queue import Queue, connect
from reportflow.requestor import MemoryBroadcast, create_app
from reportflow.requestor.auth import digest, hash_password, new_token
from reportflow.store import Role, Store, User, users
from reportflow.webhooks import generate_secret, signature_headers

PASSWORD = "correct horse battery"


def test_catalog() -> Catalog:
    registry = Registry()

    @registry.report(
        name="sales",
        title="Sales by region",
        parameters=[
            {"name": "region", "type": "choice", "choices": ["north", "south"], "required": True},
            {"name": "year", "type": "integer", "min": 2000, "max": 2100, "default": 2026},
            {"name": "since", "type": "date"},
        ],
        formats=["csv", "json"],
    )
    def sales(region: str, year: int, since: Any) -> list[dict[str, Any]]:
        return []

    @registry.report(name="payroll", roles=["admin"])
    def payroll() -> list[dict[str, Any]]:
        return []

    return Catalog.load(registry=registry)


BASE_URL = "http://requestor.test"


class ApiDriver:
    """Users, authenticated clients and signed runner hooks against ``app``.

    Shared by the harnesses here and the bad-input kit; the dataclasses that
    mix it in hold the attributes declared below.
    """

    app: FastAPI
    store: Store
    secret: str
    tokens: dict[str, str]

    async def add_user(self, name: str, *, admin: bool = False, password: bool = False) -> User:
        """A user with an API token; with ``password`` also PASSWORD (argon2 is slow)."""
        role = Role.ADMIN if admin else Role.USER
        token = new_token()
        hashed = hash_password(PASSWORD) if password else None
        async with self.store.transaction() as db:
            user = await users.create_user(db, name, role=role, password_hash=hashed)
            await users.create_token(db, user.id, digest(token))
        self.tokens[name] = token
        return user

    @asynccontextmanager
    async def client(self, user: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(
            transport=transport, base_url=BASE_URL, headers=headers
        ) as client:
            yield client

    def hook(
        self,
        body: dict[str, Any] | bytes,
        *,
        msg_id: str | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = signature_headers(
            secret or self.secret, msg_id or f"msg_{uuid.uuid4().hex}", raw, timestamp=timestamp
        )
        return raw, {**headers, "content-type": "application/json"}


@dataclass
class Harness(ApiDriver):
    app: FastAPI
    store: Store
    queue: Queue
    broadcast: MemoryBroadcast
    artifacts: MemoryArtifactStore
    secret: str
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)


def runner_event(report_id: str, kind: str, attempt: int = 1, **data: Any) -> dict[str, Any]:
    """The body the runner's WebhookSink posts for one event."""
    return {
        "type": f"report.{kind}",
        "timestamp": "2026-11-28T00:00:00+00:00",
        "data": {
            "kind": kind,
            "job_id": report_id,
            "report": "sales",
            "attempt": attempt,
            "at": time.time(),
            "data": data,
            "meta": {},
        },
    }


@asynccontextmanager
async def harness(
    tmp_path: Path, *, store_url: str | None = None, queue_url: str = "memory://", **requestor: Any
) -> AsyncIterator[Harness]:
    secret = generate_secret()
    settings = Settings(
        home=tmp_path,
        webhook_secret=secret,
        session_secret="test-session-secret",
        requestor={"secure_cookies": False, **requestor},
    )
    store = await Store.open(store_url or f"sqlite:///{tmp_path / 'store.db'}")
    queue = connect(queue_url)
    await queue.connect()
    broadcast = MemoryBroadcast()
    artifacts = MemoryArtifactStore()
    app = create_app(
        settings,
        queue=queue,
        catalog=test_catalog(),
        store=store,
        broadcast=broadcast,
        artifacts=artifacts,
    )
    try:
        yield Harness(app, store, queue, broadcast, artifacts, secret, settings)
    finally:
        artifacts.close()
        await queue.close()
        await store.close()


@asynccontextmanager
async def live_server(app: FastAPI) -> AsyncIterator[str]:
    """``app`` served by uvicorn on a free loopback port; yields its base URL."""
    import asyncio

    from reportflow.requestor.server import QuietServer, uvicorn_config

    config = uvicorn_config(app, "127.0.0.1", 0)
    server = QuietServer(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(20):
        while not server.started:
            if task.done():
                await task
            await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
