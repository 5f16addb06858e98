"""Serve the notifier (with hooks) on loopback in the test's event loop, and a capture server."""

from __future__ import annotations

import asyncio
import socket
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reportflow.config import Settings
from reportflow.notifier import create_app, parse_config


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Run an ASGI app with uvicorn (lifespan on) on a free loopback port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            lifespan="on",
            log_level="warning",
            ws="none",
            access_log=False,
            proxy_headers=False,  # as ``reportflow notifier`` runs it
        )
    )
    sock.listen(128)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class Notifier:
    """A running notifier with hooks: its URL, a client, its hooks file and its app."""

    base: str
    client: httpx.AsyncClient
    hooks_file: Path
    app: Any

    async def post(self, hook: str, **kwargs: Any) -> httpx.Response:
        return await self.client.post(f"{self.base}/hooks/{hook}", **kwargs)

    async def calls(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get(f"{self.base}/api/v1/hooks/calls", params=params)
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@asynccontextmanager
async def running_notifier(
    tmp_path: Path, hooks_yaml: str, notifier_yaml: dict[str, Any] | None = None
) -> AsyncIterator[Notifier]:
    hooks_file = tmp_path / "hooks.yaml"
    hooks_file.write_text(textwrap.dedent(hooks_yaml))
    settings = Settings(home=tmp_path / "home", hooks_config=hooks_file)
    app = create_app(settings, config=parse_config(notifier_yaml or {}))
    async with serve(app) as base, httpx.AsyncClient(timeout=20) as client:
        yield Notifier(base, client, hooks_file, app)


@dataclass
class Capture:
    """Records every request it gets."""

    base: str = ""
    bodies: list[bytes] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: Request) -> Response:
        self.bodies.append(await request.body())
        self.arrived.set()
        return Response(b"ok")


@asynccontextmanager
async def capture_server() -> AsyncIterator[Capture]:
    cap = Capture()
    app = Starlette(routes=[Route("/{path:path}", cap.handle, methods=["POST"])])
    async with serve(app) as base:
        cap.base = base
        yield cap
