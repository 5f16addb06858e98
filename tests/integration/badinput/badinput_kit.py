"""A requestor as it runs in production, for the bad-input audit.

The store is a real database (a SQLite file, or a fresh PostgreSQL database)
and the queue lives in the same database, so a submission writes the report,
its first event and the queue job in one transaction: exactly the path whose
"a rejected request writes nothing" promise these tests check.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from requestor_harness import PASSWORD, ApiDriver
from sqlalchemy import func, select

from reportflow.artifacts import MemoryArtifactStore
from reportflow.catalog import Catalog, Registry
from reportflow.config import Settings
from reportflow.queue import Queue, connect
from reportflow.requestor import create_app
from reportflow.store import Store
from reportflow.store.tables import (
    api_tokens,
    report_events,
    reports,
    sessions,
    webhook_receipts,
)
from reportflow.store.tables import users as users_table
from reportflow.webhooks import generate_secret

BODY_LIMIT = 64 * 1024


def audit_catalog() -> Catalog:
    registry = Registry()

    @registry.report(
        name="sales",
        title="Sales by region",
        parameters=[
            {"name": "region", "type": "choice", "choices": ["north", "south"], "required": True},
            {"name": "year", "type": "integer", "min": 2000, "max": 2100, "default": 2026},
            {"name": "note", "type": "string", "max": 200},
        ],
        formats=["csv", "json"],
    )
    def sales(region: str, year: int, note: str | None) -> list[dict[str, Any]]:
        return []

    @registry.report(name="payroll", roles=["admin"])
    def payroll() -> list[dict[str, Any]]:
        return []

    return Catalog.load(registry=registry)


@dataclass(frozen=True)
class Counts:
    """Rows that a request may write; compared before and after a refusal."""

    reports: int
    events: int
    receipts: int
    users: int
    tokens: int
    sessions: int
    jobs: int


@dataclass
class Requestor(ApiDriver):
    app: FastAPI
    store: Store
    queue: Queue
    secret: str
    tokens: dict[str, str] = field(default_factory=dict)

    async def call(self, user: str | None, method: str, url: str, **kw: Any) -> httpx.Response:
        async with self.client(user) as c:
            return await c.request(method, url, **kw)

    async def login(self, client: httpx.AsyncClient, name: str) -> str:
        """Log ``client`` in with a session cookie; returns the CSRF token."""
        answer = await client.post("/api/v1/session", json={"username": name, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["csrf_token"])

    async def submit(self, user: str = "ann", **body: Any) -> str:
        payload = {"report": "sales", "params": {"region": "north"}, **body}
        answer = await self.call(user, "POST", "/api/v1/reports", json=payload)
        assert answer.status_code == 202, answer.text
        return str(answer.json()["id"])

    async def counts(self) -> Counts:
        async with self.store.read() as db:

            async def count(table: Any) -> int:
                return int((await db.execute(select(func.count()).select_from(table))).scalar_one())

            rows = [
                await count(t)
                for t in (reports, report_events, webhook_receipts, users_table, api_tokens)
            ]
            live = await count(sessions)
        stats = await self.queue.stats()
        return Counts(*rows, live, sum(stats.depth.values()))


@asynccontextmanager
async def requestor(store_url: str, home: Path, **config: Any) -> AsyncIterator[Requestor]:
    """The requestor app over ``store_url``, its queue in the same database.

    Users: ann and bob (tokens), root (admin, token), cat (password, for sessions).
    """
    secret = generate_secret()
    settings = Settings(
        home=home,
        webhook_secret=secret,
        session_secret="audit-session-secret",
        requestor={
            "secure_cookies": False,
            "max_body_bytes": BODY_LIMIT,
            "max_hook_body_bytes": BODY_LIMIT,
            **config,
        },
    )
    store = await Store.open(store_url)
    queue = connect(store_url)
    await queue.connect()
    app = create_app(
        settings,
        queue=queue,
        catalog=audit_catalog(),
        store=store,
        artifacts=MemoryArtifactStore(),
    )
    rf = Requestor(app, store, queue, secret)
    try:
        assert app.state.services.enqueue_in_transaction
        for name in ("ann", "bob"):
            await rf.add_user(name)
        await rf.add_user("root", admin=True)
        await rf.add_user("cat", password=True)
        yield rf
    finally:
        await queue.close()
        await store.close()
