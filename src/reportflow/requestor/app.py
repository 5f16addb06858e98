"""``create_app``: the requestor's FastAPI application from its collaborators."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from reportflow.artifacts import ArtifactStore
from reportflow.catalog import Catalog
from reportflow.config import Settings
from reportflow.errors import ConflictError
from reportflow.queue import Queue
from reportflow.requestor import web
from reportflow.requestor.broadcast import Broadcast, MemoryBroadcast
from reportflow.requestor.middleware import (
    BodyLimitMiddleware,
    MetricsMiddleware,
    NulGuardMiddleware,
)
from reportflow.requestor.routes import ROUTERS
from reportflow.requestor.services import Services
from reportflow.store import Store
from reportflow.webhooks import Verifier

log = logging.getLogger("reportflow.requestor")

HOOKS_PREFIX = "/hooks/"


def same_database(a: str, b: str) -> bool:
    """Whether two URLs name one database, whatever driver each spells."""
    try:
        ua, ub = make_url(a), make_url(b)
    except ArgumentError:
        return False
    return ua.set(drivername=ua.get_backend_name()) == ub.set(drivername=ub.get_backend_name())


def session_key(settings: Settings) -> bytes:
    if settings.session_secret:
        return settings.session_secret.encode("utf-8")
    log.warning("session_secret is not set: CSRF tokens will not survive a restart")
    return secrets.token_bytes(32)


def create_app(
    settings: Settings,
    *,
    queue: Queue,
    catalog: Catalog,
    store: Store,
    broadcast: Broadcast | None = None,
    artifacts: ArtifactStore | None = None,
    enqueue_in_transaction: bool | None = None,
    static_dir: Path | None = None,
    install_web: Callable[[FastAPI], None] | None = None,
) -> FastAPI:
    """The requestor app. Its caller opens and closes ``queue``, ``store`` etc.

    ``enqueue_in_transaction`` defaults to whether the queue's URL names the
    store's database. ``install_web`` replaces the default web hook
    (:func:`reportflow.requestor.web.install`).
    """
    config = settings.requestor
    secrets_ = (settings.webhook_secret or "").split()
    services = Services(
        store=store,
        queue=queue,
        catalog=catalog,
        broadcast=broadcast or MemoryBroadcast(),
        config=config,
        session_key=session_key(settings),
        verifier=Verifier(secrets_, tolerance=config.webhook_tolerance_seconds)
        if secrets_
        else None,
        artifacts=artifacts,
        enqueue_in_transaction=same_database(queue.url, store.url)
        if enqueue_in_transaction is None
        else enqueue_in_transaction,
    )
    app = FastAPI(
        title="reportflow",
        summary="Report requests in, finished reports out.",
        version="1",
        openapi_url="/openapi.json",
    )
    app.state.services = services
    for router in ROUTERS:
        app.include_router(router)
    _exception_handlers(app)
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        default=config.max_body_bytes,
        limits={HOOKS_PREFIX: config.max_hook_body_bytes},
    )
    if install_web is not None:
        install_web(app)
    else:
        web.install(app, static_dir=static_dir)
    return app


def _exception_handlers(app: FastAPI) -> None:
    async def conflict(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    async def store_down(_request: Request, exc: Exception) -> JSONResponse:
        log.error("store unavailable: %s", exc)
        return JSONResponse(
            {"detail": "the store is unavailable; retry later"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    app.add_exception_handler(ConflictError, conflict)
    app.add_exception_handler(OperationalError, store_down)
