"""The whole system in one process on one port: the embedded mode of ``reportflow up``.

One uvicorn server carries the requestor (API, web app, ``/hooks/runner``),
a runner pool and its scale hook (``/hooks/scale``), the notifier
(``/hooks/alertmanager``, ``/api/v1/notifications``, the generic
``/hooks/{id}``) and one ``/metrics`` for all of them.

The runner reports to the requestor exactly as it would across machines: a
signed webhook to this process's own ``/hooks/runner`` on loopback, through
the durable outbox (kept in the store's database), so the embedded mode
exercises the same path, and the same guarantees, as the scale-out mode.

Secrets the embedded mode needs and nobody configured (webhook secret,
session secret, scale token, notifier token) are generated once into
``{home}/secrets/`` (0600) and reused on every start.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import signal
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportflow.config import Settings
from reportflow.errors import ConfigError
from reportflow.heap import tune_gc
from reportflow.requestor.server import (
    SECRETS_DIR,
    QuietServer,
    ensure_secret,
    open_requestor,
    uvicorn_config,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

    from reportflow.notifier import NotifierConfig

log = logging.getLogger("reportflow.requestor")
STARTUP_TIMEOUT = 30.0
WEBHOOK_KEY = "webhook_key"
SESSION_SECRET = "session_secret"
SCALE_TOKEN = "scale_token"
# The name `make stack` (scripts/stack.sh) gives the token it hands Alertmanager.
NOTIFIER_TOKEN = "alertmanager_token"
#: Paths the embedded server answers itself: a notifier route with one of them is left out.
_HOST_PATHS = frozenset(
    {"/metrics", "/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
#: Generic hook ids whose /hooks/{id} the requestor and the runner already answer.
SHADOWED_HOOK_IDS = frozenset({"runner", "scale"})


def secret_file(settings: Settings, name: str) -> Path:
    """Where the embedded mode keeps its generated secret ``name``."""
    return settings.home / SECRETS_DIR / name


def _b64_secret(settings: Settings) -> str:
    """A Standard Webhooks key (base64) kept with the embedded mode's other secrets."""
    raw = ensure_secret(settings, WEBHOOK_KEY)
    return base64.b64encode(raw.encode("ascii")).decode("ascii")


def embedded_settings(settings: Settings) -> Settings:
    """Settings with the secrets the embedded mode generates for itself when unset."""
    update: dict[str, object] = {}
    if not settings.webhook_secret:
        update["webhook_secret"] = "whsec_" + _b64_secret(settings)
    if not settings.session_secret:
        update["session_secret"] = ensure_secret(settings, SESSION_SECRET)
    if not settings.runner.scale_token:
        token = ensure_secret(settings, SCALE_TOKEN)
        update["runner"] = settings.runner.model_copy(update={"scale_token": token})
    return settings.model_copy(update=update)


def embedded_notifier_config(settings: Settings) -> NotifierConfig:
    """``notifier.yaml`` when configured; its auth, or else the generated notifier token.

    The notifier shares the web app's port, so it is never left open: without
    an ``auth`` section, Alertmanager must send ``Bearer <secrets/alertmanager_token>``.
    """
    from reportflow.notifier import NotifierConfig, load_config
    from reportflow.notifier.config import AuthConfig

    path = settings.notifier_config
    config = load_config(path) if path is not None else NotifierConfig()
    if config.auth.enabled:
        return config
    token = ensure_secret(settings, NOTIFIER_TOKEN)
    return config.model_copy(update={"auth": AuthConfig(bearer_token=token)})


async def serve_embedded(
    settings: Settings, host: str = "127.0.0.1", port: int = 8000, *, secure_cookies: bool = False
) -> None:
    """Serve everything until SIGINT/SIGTERM; the runner drains first."""
    # Imported before the server answers: importing on the loop later stalls
    # every request in flight (the scale hook pulls in SciPy, about 0.5 s).
    from reportflow.runner import scale
    from reportflow.runner.executors import warm_up
    from reportflow.runner.service import build_runner, report_executor, tune_switch_interval
    from reportflow.webhooks import WebhookSink

    listener = _listen(host, port)
    settings.home.mkdir(parents=True, exist_ok=True)
    settings = embedded_settings(settings)
    settings.requestor = settings.requestor.model_copy(update={"secure_cookies": secure_cookies})
    assert settings.webhook_secret is not None
    async with open_requestor(settings) as app, _notifier(app, settings):
        app.state.starting = {"runner"}  # /readyz answers 503 until it runs
        server = QuietServer(uvicorn_config(app, host, port))
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        await _started(server, serving)
        bound = listener.getsockname()[1]
        hook_url = f"http://127.0.0.1:{bound}/hooks/runner"
        sink = await WebhookSink.connect(
            hook_url,
            settings.webhook_secret.split(),
            settings.resolved_database_url,
            name="embedded-runner",
            # Short reports (most, on one machine) then send no progress webhooks,
            # and those done within 50 ms their final event alone.
            quiet_start=True,
            hold_started=0.05,
            batch_size=settings.runner.webhook_batch,
        )
        queue = app.state.services.queue
        executor = report_executor(settings)
        await warm_up(executor)  # the web server already answers meanwhile
        runner = build_runner(settings, queue, executor, sink=sink)
        tune_gc()  # everything the server needs is built: out of the collector's way
        tune_switch_interval(settings.runner)  # the runs' threads share the GIL with the loop
        _mount_scale_hook(app, scale, runner, settings)
        app.state.runners = [runner]  # the admin page shows its slots
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await runner.start()
            app.state.starting.discard("runner")
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


@contextlib.asynccontextmanager
async def _notifier(app: FastAPI, settings: Settings) -> Any:
    """The notifier's routes on ``app``, and its lifespan run by hand.

    Its routes are added to the requestor's router rather than mounting the
    notifier app at ``/``: a catch-all mount would answer every unknown path
    with the notifier's 404 instead of the web app's page, and Starlette
    would not run the mounted app's lifespan anyway.
    """
    from reportflow.notifier import create_app

    notifier = create_app(settings, config=embedded_notifier_config(settings))
    taken = {getattr(route, "path", None) for route in app.router.routes} | _HOST_PATHS
    # After the requestor's routes: POST /hooks/runner is matched before /hooks/{id}.
    app.router.routes.extend(
        route for route in notifier.router.routes if getattr(route, "path", None) not in taken
    )
    app.state.notifier = notifier.state.notifier
    app.state.hooks = notifier.state.hooks
    shadowed = sorted(SHADOWED_HOOK_IDS & set(notifier.state.hooks.registry.hooks))
    if shadowed:
        log.warning("hooks.yaml: /hooks/%s is taken by reportflow up; rename the hook", shadowed[0])
    await notifier.state.hooks.start()
    try:
        yield
    finally:
        await notifier.state.hooks.aclose()
        await notifier.state.notifier.aclose()


def _mount_scale_hook(app: Any, scale: Any, runner: Any, settings: Settings) -> None:
    """POST /hooks/scale on the same port (reportflow.runner.scale), ahead of the web routes."""
    rs = settings.runner
    scaler = scale.Scaler(
        runner,
        minimum=rs.min_concurrency,
        maximum=rs.max_concurrency,
        cooldown_seconds=rs.scale_cooldown_seconds,
    )
    app.router.routes[0:0] = scale.scale_routes(scaler, token=rs.scale_token)


def _listen(host: str, port: int) -> socket.socket:
    """Bind the port before anything is built, so a taken port is one clear error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or str(exc)).lower()
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}") from exc
    sock.set_inheritable(True)
    return sock


async def _started(server: QuietServer, serving: asyncio.Task[None]) -> None:
    async with asyncio.timeout(STARTUP_TIMEOUT):
        while not server.started:
            if serving.done():
                await serving  # raises the startup error
                raise RuntimeError("the web server stopped during startup")
            await asyncio.sleep(0.05)
