"""Requestor and runner in one process on one port: the embedded mode of ``reportflow up``.

The runner reports to the requestor exactly as it would across machines: a
signed webhook to this process's own ``/hooks/runner`` on loopback, through
the durable outbox (kept in the store's database), so the embedded mode
exercises the same path, and the same guarantees, as the scale-out mode.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import signal
from typing import Any

from reportflow.config import Settings
from reportflow.requestor.server import QuietServer, ensure_secret, open_requestor, uvicorn_config

log = logging.getLogger("reportflow.requestor")
STARTUP_TIMEOUT = 30.0


def _b64_secret(settings: Settings) -> str:
    """A Standard Webhooks key (base64) kept with the embedded mode's other secrets."""
    raw = ensure_secret(settings, "webhook_key")
    return base64.b64encode(raw.encode("ascii")).decode("ascii")


def embedded_settings(settings: Settings) -> Settings:
    """Settings with the secrets the embedded mode generates for itself when unset."""
    update: dict[str, object] = {}
    if not settings.webhook_secret:
        update["webhook_secret"] = "whsec_" + _b64_secret(settings)
    if not settings.session_secret:
        update["session_secret"] = ensure_secret(settings, "session_secret")
    return settings.model_copy(update=update)


async def serve_embedded(
    settings: Settings, host: str = "127.0.0.1", port: int = 8000, *, secure_cookies: bool = False
) -> None:
    """Serve requestor + runner until SIGINT/SIGTERM; the runner drains first."""
    from reportflow.runner.service import build_runner, report_executor
    from reportflow.webhooks import WebhookSink

    settings.home.mkdir(parents=True, exist_ok=True)
    settings = embedded_settings(settings)
    settings.requestor = settings.requestor.model_copy(update={"secure_cookies": secure_cookies})
    assert settings.webhook_secret is not None
    async with open_requestor(settings) as app:
        server = QuietServer(uvicorn_config(app, host, port))
        serving = asyncio.create_task(server.serve())
        await _started(server, serving)
        bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
        hook_url = f"http://127.0.0.1:{bound}/hooks/runner"
        sink = await WebhookSink.connect(
            hook_url,
            settings.webhook_secret.split(),
            settings.resolved_database_url,
            name="embedded-runner",
        )
        queue = app.state.services.queue
        runner = build_runner(settings, queue, report_executor(settings), sink=sink)
        _mount_scale_hook(app, runner, settings)
        app.state.runners = [runner]  # the admin page shows its slots
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await runner.start()
            log.info("reportflow up on http://%s:%s", host, bound)
            await stop.wait()
            log.info("stopping: draining the runner, then the web server")
            await runner.drain()
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            await sink.close()
            server.should_exit = True
            await serving


def _mount_scale_hook(app: Any, runner: Any, settings: Settings) -> None:
    """POST /hooks/scale on the same port (reportflow.runner.scale), ahead of the web routes."""
    from reportflow.runner.scale import Scaler, scale_routes

    rs = settings.runner
    scaler = Scaler(
        runner,
        minimum=rs.min_concurrency,
        maximum=rs.max_concurrency,
        cooldown_seconds=rs.scale_cooldown_seconds,
    )
    app.router.routes[0:0] = scale_routes(scaler, token=rs.scale_token)


async def _started(server: QuietServer, serving: asyncio.Task[None]) -> None:
    async with asyncio.timeout(STARTUP_TIMEOUT):
        while not server.started:
            if serving.done():
                await serving  # raises the startup error
                raise RuntimeError("the web server stopped during startup")
            await asyncio.sleep(0.05)
