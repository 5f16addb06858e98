"""ASGI middleware: the request body cap, the NUL guard and the HTTP metrics.

The body cap counts bytes as they arrive instead of trusting
``Content-Length`` (a chunked request has none, and a lying client can send
more than it announced), and stops reading at the cap.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reportflow.metrics import HTTP_LATENCY, HTTP_REQUESTS


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once the body passes the cap.

    An HTTPException so FastAPI's body parsing re-raises it unchanged and
    its handler answers 413, whichever layer was reading.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than {limit} bytes")


class BodyLimitMiddleware:
    """Answer 413 to any HTTP request whose body exceeds its path's cap.

    ``limits`` maps path prefixes to caps (longest prefix wins); other paths
    get ``default``.
    """

    def __init__(self, app: ASGIApp, *, default: int, limits: Mapping[str, int] = {}) -> None:
        self.app = app
        self.default = default
        self.limits = sorted(limits.items(), key=lambda kv: -len(kv[0]))

    def limit_for(self, path: str) -> int:
        return next((cap for prefix, cap in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _send_413(send, cap)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge(cap)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _send_413(send, cap)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_413(send: Send, cap: int) -> None:
    body = json.dumps({"detail": f"request body is larger than {cap} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class NulGuardMiddleware:
    """Answer 400 to a URL whose path or query holds a NUL character.

    PostgreSQL can neither store nor compare text with a NUL in it, so such a
    value would reach the store only to fail there (a 500); no real name, id
    or filter holds one, so it is refused here, for every route at once.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        culprit = _nul_culprit(scope) if scope["type"] in ("http", "websocket") else None
        if culprit is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await receive()  # the handshake's websocket.connect; a close now refuses it
            await send({"type": "websocket.close", "code": 4400, "reason": culprit})
        else:
            body = json.dumps({"detail": culprit}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})


def _nul_culprit(scope: Scope) -> str | None:
    if "\x00" in scope.get("path", ""):
        return "the URL path holds a NUL character"
    query = scope.get("query_string", b"")
    if b"%00" not in query and b"\x00" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return f"query parameter {name.replace(chr(0), '?')[:40]!r} holds a NUL character"
    return None


class MetricsMiddleware:
    """Count requests and time them by route template (never by raw path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        begin = time.perf_counter()

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(route).observe(time.perf_counter() - begin)
