"""A real webhook receiver on loopback (uvicorn + Starlette) for the webhook tests."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reportflow.errors import WebhookVerificationError
from reportflow.webhooks import HEADER_ID, Verifier

WAIT_SECONDS = 4.0


@dataclass
class Received:
    """One request the receiver accepted for processing (signature checked)."""

    msg_id: str
    headers: dict[str, str]
    body: bytes
    at: float
    verified: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Scripted:
    """A response the receiver gives instead of 204 (consumed in order)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Receiver:
    """Records every POST to ``/hooks`` and answers from a script, then 204.

    A batch (``reportflow.webhooks.batch``) is answered 200 with one result per
    message: ``batch_statuses[id]``, or 200.

    Its socket is bound at once but only listens after :meth:`start`, so
    before that a connection is refused at a known, stable address.
    """

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = secrets
        self.verifier = Verifier(secrets)
        self.script: list[Scripted] = []
        self.batch_statuses: dict[str, int] = {}
        self.requests: list[Received] = []
        self._changed = asyncio.Condition()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        try:
            self.verifier.verify(request.headers, body)
            verified = True
        except WebhookVerificationError:
            verified = False
        got = Received(request.headers.get(HEADER_ID, ""), dict(request.headers), body,
                       time.monotonic(), verified)  # fmt: skip
        async with self._changed:
            self.requests.append(got)
            self._changed.notify_all()
        if not verified:
            return Response(status_code=401)
        if self.script:
            step = self.script.pop(0)
            if step.delay:
                await asyncio.sleep(step.delay)
            return Response(status_code=step.status, headers=step.headers)
        if got.msg_id.startswith("msg_batch_"):
            results = [
                {"id": m["id"], "status": self.batch_statuses.get(m["id"], 200), "detail": "ok"}
                for m in got.json["messages"]
            ]
            return JSONResponse({"outcome": "batch", "results": results})
        return Response(status_code=204)

    async def start(self) -> None:
        app = Starlette(routes=[Route("/hooks", self._handle, methods=["POST"])])
        config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._sock.listen(64)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._sock.close()

    def ids(self) -> list[str]:
        return [r.msg_id for r in self.requests]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
        """Wait until ``predicate()`` holds after some request arrived."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout: float = WAIT_SECONDS, step: float = 0.02
) -> None:
    """Poll an async condition that has no event to wait on (database state), bounded."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached in time")
        await asyncio.sleep(step)
