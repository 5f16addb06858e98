"""``/hooks/{id}`` straight to the hooks service, ahead of the app's middleware and router.

A hook call needs none of what FastAPI wraps around a route: its telemetry
check (OpenTelemetry's providers looked up on every request), its
server-error, exception, telemetry, body-limit and exit-stack middleware, each
passing every message through a layer of its own, and the router, which tries
each route's pattern in turn. The hooks service reads its own body (with its
own limit), turns every refusal into an answer and counts every call in its
own metrics, so :class:`HooksFrontDoor` hands it the call directly and keeps
only what the outer middleware did for it: an unexpected error becomes a
logged 500. Every other path, every other method, and ``/hooks/...`` paths the
app routes itself (``/hooks/alertmanager``) go through the app as before.
``docs/benchmarks.md`` ("Generic hooks") has what it saves.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

log = logging.getLogger(__name__)
PREFIX = "/hooks/"


class HooksFrontDoor:
    """Which ASGI calls are hook calls, and how they are answered."""

    def __init__(
        self,
        handle: Callable[[Request], Awaitable[Response]],
        *,
        methods: Collection[str],
        taken: Collection[str],
    ) -> None:
        self.handle = handle
        self.methods = frozenset(methods)
        self.taken = frozenset(taken)
        """Hook ids whose path the app routes itself."""

    def hook_id(self, scope: Scope) -> str | None:
        """The hook a call is for, or None when the app should answer it."""
        if scope["type"] != "http" or scope["method"] not in self.methods:
            return None
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if not path.startswith(PREFIX):
            return None
        hook_id = path[len(PREFIX) :]
        if not hook_id or "/" in hook_id or hook_id in self.taken:
            return None
        return hook_id

    async def serve(self, hook_id: str, scope: Scope, receive: Receive, send: Send) -> None:
        scope["path_params"] = {"hook_id": hook_id}
        request = Request(scope, receive)
        try:
            response = await self.handle(request)
        except ClientDisconnect:
            log.info("hook %s: the client went away before its body arrived", hook_id)
            return
        except Exception:
            log.exception("hook %s: unexpected error", hook_id)
            response = PlainTextResponse("Internal Server Error", status_code=500)
        await response(scope, receive, send)
