"""The requestor with its web pages, in process: SQLite store, memory queue and artifacts."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from reportflow.artifacts import MemoryArtifactStore
from reportflow.catalog import Catalog, Registry
from reportflow.config import Settings
from reportflow.queue import connect
from reportflow.requestor import create_app
from reportflow.requestor.auth import hash_password
from reportflow.store import Role, Store, users
from reportflow.webhooks import generate_secret, signature_headers

PASSWORD = "correct horse battery"


def web_catalog() -> Catalog:
    registry = Registry()

    @registry.report(
        name="everything",
        title="Every <kind> of input",
        description="A form with one field of each type.",
        tags=["demo", "forms"],
        parameters=[
            {"name": "label", "type": "string", "pattern": "^[a-z]+$", "max": 10},
            {"name": "count", "type": "integer", "min": 1, "max": 9, "default": 3},
            {"name": "ratio", "type": "number", "min": 0},
            {"name": "flag", "type": "boolean", "default": True},
            {"name": "day", "type": "date", "required": True},
            {"name": "at", "type": "datetime", "default": "2026-01-02T03:04:05+00:00"},
            {"name": "region", "type": "choice", "choices": ["north", "south"], "default": "south"},
            {"name": "lines", "type": "multi_choice", "choices": ["a", "b", "c"], "default": ["b"]},
        ],
        formats=["csv", "json"],
    )
    def everything(**_: Any) -> list[dict[str, Any]]:
        return []

    @registry.report(name="payroll", roles=["admin"])
    def payroll() -> list[dict[str, Any]]:
        return []

    return Catalog.load(registry=registry)


@dataclass
class Web:
    app: FastAPI
    store: Store
    artifacts: MemoryArtifactStore
    secret: str

    @asynccontextmanager
    async def client(self, user: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
        """A browser-like client; logged in as ``user`` when given (cookies + CSRF header)."""
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://web.test", headers={"Accept": "text/html"}
        ) as client:
            if user is not None:
                answer = await client.post(
                    "/api/v1/session", json={"username": user, "password": PASSWORD}
                )
                assert answer.status_code == 200, answer.text
                client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
            yield client

    async def hook(self, client: httpx.AsyncClient, report_id: str, kind: str, **data: Any) -> None:
        """Post one runner event as the runner's webhook sink does."""
        body = {
            "type": f"report.{kind}",
            "data": {
                "kind": kind,
                "job_id": report_id,
                "attempt": 1,
                "at": time.time(),
                "data": data,
            },
        }
        raw = json.dumps(body).encode()
        headers = signature_headers(self.secret, f"msg_{uuid.uuid4().hex}", raw)
        answer = await client.post(
            "/hooks/runner", content=raw, headers={**headers, "content-type": "application/json"}
        )
        assert answer.status_code == 200, answer.text


@asynccontextmanager
async def web_app(tmp_path: Path, catalog: Catalog | None = None) -> AsyncIterator[Web]:
    secret = generate_secret()
    settings = Settings(
        home=tmp_path,
        webhook_secret=secret,
        session_secret="web-test-secret",
        requestor={"secure_cookies": False},
    )
    store = await Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    queue = connect("memory://")
    await queue.connect()
    artifacts = MemoryArtifactStore()
    app = create_app(
        settings,
        queue=queue,
        catalog=catalog or web_catalog(),
        store=store,
        artifacts=artifacts,
    )
    hashed = hash_password(PASSWORD)
    async with store.transaction() as db:
        await users.create_user(db, "ann", role=Role.USER, password_hash=hashed)
        await users.create_user(db, "bob", role=Role.USER, password_hash=hashed)
        await users.create_user(db, "root", role=Role.ADMIN, password_hash=hashed)
    try:
        yield Web(app, store, artifacts, secret)
    finally:
        artifacts.close()
        await queue.close()
        await store.close()
