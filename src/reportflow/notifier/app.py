"""The HTTP face: ``POST /hooks/alertmanager`` and ``GET /api/v1/notifications``.

Status codes are chosen for Alertmanager, which retries on 5xx only: 401 for
missing or wrong credentials, 413 for a body over the limit (checked before
parsing, while reading), 400 for malformed JSON, 422 for a wrong version or
shape, 503 when a channel failed with an error a retry may fix, 200 otherwise
(including repeats, which send nothing).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from reportflow.config import Settings
from reportflow.metrics import METRICS_PATH, metrics_endpoint
from reportflow.notifier.channels import Channel, build_channel
from reportflow.notifier.config import AuthConfig, NotifierConfig, load_config
from reportflow.notifier.dedupe import DedupeCache
from reportflow.notifier.dispatcher import Dispatcher
from reportflow.notifier.errors import NotifierConfigError, PayloadError
from reportflow.notifier.history import MAX_LIMIT, NotificationLog, Outcome
from reportflow.notifier.payload import parse_payload
from reportflow.spawn import ProcessRunner, Spawner

if TYPE_CHECKING:  # the hooks package builds on this module
    from reportflow.notifier.hooks.front import HooksFrontDoor

log = logging.getLogger(__name__)
HOOK_PATH = "/hooks/alertmanager"
HISTORY_PATH = "/api/v1/notifications"
#: Filters the history database can compare: PostgreSQL text holds no NUL.
NO_NUL = r"^[^\x00]*$"


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def authorized(auth: AuthConfig, header: str | None) -> bool:
    """Bearer token or basic auth, compared in constant time; open when none is configured."""
    if not auth.enabled:
        return True
    scheme, _, value = (header or "").partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and auth.bearer_token:
        return _same(value.strip(), auth.bearer_token)
    if scheme == "basic" and auth.basic is not None:
        try:
            user, _, password = (
                base64.b64decode(value.strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            return False
        # Both compares run whatever the first says, so timing does not leak which was wrong.
        ok_user = _same(user, auth.basic.username)
        ok_password = _same(password, auth.basic.password or "")
        return ok_user and ok_password
    return False


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) as soon as it is known to exceed ``limit``.

    Read from the ASGI messages themselves: ``Request.stream()`` is an async
    generator, a measurable part of a hook call's cost, and nothing reads the
    body again.

    Raises:
        PayloadError: 413, the body is over ``limit``.
        ClientDisconnect: the client went away first.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadError(f"body of {declared} bytes exceeds {limit} bytes", status_code=413)
    body = bytearray()
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        body += message.get("body", b"")
        if len(body) > limit:
            raise PayloadError(f"body exceeds {limit} bytes", status_code=413)
        if not message.get("more_body", False):
            return bytes(body)


class NotifierService:
    """The receiver's parts, shared by the routes; :meth:`aclose` releases them."""

    def __init__(self, config: NotifierConfig, history_url: str) -> None:
        self.config = config
        self.client = httpx.AsyncClient(follow_redirects=False)
        self.history = NotificationLog(history_url)
        # Commands (channels and hooks) start in a helper process, off this event loop.
        self.spawner = Spawner()
        self.channels = _build_channels(config, self.client, self.spawner.run)
        self.dispatcher = Dispatcher(
            config, self.channels, self.history, DedupeCache(config.dedupe_seconds)
        )
        if not config.auth.enabled:
            log.warning("notifier: no auth configured, %s accepts anyone", HOOK_PATH)

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.history.aclose()
        await self.spawner.aclose()


def _build_channels(
    config: NotifierConfig, client: httpx.AsyncClient, run_process: ProcessRunner
) -> dict[str, list[Channel[Any]]]:
    out: dict[str, list[Channel[Any]]] = {}
    for receiver, channel_configs in config.receivers.items():
        names: set[str] = set()
        built = []
        for index, cfg in enumerate(channel_configs):
            name = cfg.name or f"{cfg.type}-{index}"
            if name in names:
                raise NotifierConfigError(f"receivers.{receiver}: duplicate channel name {name!r}")
            names.add(name)
            built.append(build_channel(name, cfg, client, run_process=run_process))
        out[receiver] = built
    return out


class NotifierApp(FastAPI):
    """FastAPI, with the generic hooks' calls answered ahead of all of it
    (:mod:`reportflow.notifier.hooks.front`)."""

    hooks_front: HooksFrontDoor | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        front = self.hooks_front
        if front is not None and (hook_id := front.hook_id(scope)) is not None:
            scope["app"] = self
            await front.serve(hook_id, scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: Settings, *, config: NotifierConfig | None = None) -> NotifierApp:
    """The notifier app; ``config`` defaults to ``settings.notifier_config`` (or empty)."""
    if config is None:
        path = settings.notifier_config
        config = load_config(path) if path is not None else NotifierConfig()
    service = NotifierService(config, config.history_url or settings.resolved_database_url)
    # Imported here because the hooks build on this module (auth, body limit, the service).
    from reportflow.notifier.hooks import HooksService

    hooks = HooksService.from_settings(settings, service)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await hooks.start()
        yield
        await hooks.aclose()
        await service.aclose()

    app = NotifierApp(title="reportflow notifier", lifespan=lifespan)
    app.state.notifier = service
    app.state.hooks = hooks

    def require_auth(request: Request) -> None:
        if not authorized(service.config.auth, request.headers.get("authorization")):
            raise HTTPException(
                status_code=401,
                detail="missing or wrong credentials",
                headers={"WWW-Authenticate": 'Bearer, Basic realm="reportflow notifier"'},
            )

    @app.post(HOOK_PATH, dependencies=[Depends(require_auth)])
    async def alertmanager_hook(request: Request) -> JSONResponse:
        try:
            group = parse_payload(await read_body(request, service.config.body_limit_bytes))
        except PayloadError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)
        result = await service.dispatcher.dispatch(group)
        failed = [
            {"receiver": r.receiver, "channel": r.channel_name, "error": r.error}
            for r in result.records
            if r.outcome is Outcome.FAILED
        ]
        return JSONResponse(
            {"retry": result.retry, "outcomes": result.summary, "failed": failed},
            status_code=503 if result.retry else 200,
        )

    @app.get(HISTORY_PATH, dependencies=[Depends(require_auth)])
    async def notification_history(
        channel: str | None = Query(None, max_length=200, pattern=NO_NUL),
        outcome: Outcome | None = None,
        limit: int = Query(100, ge=1, le=MAX_LIMIT),
    ) -> dict[str, Any]:
        rows = await service.history.query(channel=channel, outcome=outcome, limit=limit)
        return {"items": [r.to_json() for r in rows]}

    hooks.mount(app, require_auth)  # after the Alertmanager hook, which keeps its path
    app.add_route(METRICS_PATH, metrics_endpoint, include_in_schema=False)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
