"""Run the requestor from settings: open its collaborators, build the app, serve it."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from reportflow.artifacts import open_store
from reportflow.catalog import Catalog
from reportflow.config import Settings
from reportflow.heap import tune_gc
from reportflow.queue import connect
from reportflow.queue.metrics import QueueMetrics
from reportflow.requestor.app import create_app
from reportflow.requestor.reconciler import Reconciler
from reportflow.store import Store

log = logging.getLogger("reportflow.requestor")
SECRETS_DIR = "secrets"


def ensure_secret(settings: Settings, name: str, *, prefix: str = "") -> str:
    """A secret kept in ``{home}/secrets/{name}`` (0600), made on first use.

    For the embedded mode only: in production the secret comes from settings
    (``REPORTFLOW_SESSION_SECRET_FILE`` etc.), never from a generated file.
    """
    path = settings.home / SECRETS_DIR / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = prefix + secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(value, encoding="utf-8")
    return value


@contextlib.asynccontextmanager
async def open_requestor(
    settings: Settings, *, catalog: Catalog | None = None, static_dir: Path | None = None
) -> AsyncIterator[FastAPI]:
    """The app with its store (migrated), queue and artifact store open, and the
    reconciler running; all closed on exit."""
    store = await Store.open(settings.resolved_database_url)
    queue = connect(settings.resolved_queue_url)
    try:
        await queue.connect()
        artifacts = open_store(settings.resolved_artifacts_url)
        app = create_app(
            settings,
            queue=queue,
            catalog=catalog or Catalog.from_settings(settings),
            store=store,
            artifacts=artifacts,
            static_dir=static_dir,
        )
        async with QueueMetrics(queue), Reconciler.from_services(app.state.services):
            yield app
    finally:
        await queue.close()
        await store.close()


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def uvicorn_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # reportflow's logging is already set up
        ws="websockets-sansio",
        # Channel messages are a few hundred bytes: deflate saves little on the
        # wire and costs a zlib context per connection and CPU per message.
        ws_per_message_deflate=False,
        proxy_headers=True,
        server_header=False,
    )


async def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the requestor until SIGINT/SIGTERM."""
    settings.home.mkdir(parents=True, exist_ok=True)
    async with open_requestor(settings) as app:
        log.info("requestor on http://%s:%s (store %s)", host, port, settings.resolved_database_url)
        tune_gc()
        await uvicorn.Server(uvicorn_config(app, host, port)).serve()
