"""Running a runner as a process: build it from settings, stop it on signals.

The first SIGTERM or SIGINT drains (stop claiming, let running reports finish
within ``runner.grace_seconds``, hand the rest back); a second one cuts the
grace short and hands back at once. SIGKILL needs no code: the leases of the
killed runner's jobs expire and other runners take them.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from reportflow.config import RunnerSettings, Settings
from reportflow.errors import ConfigError
from reportflow.heap import tune_gc
from reportflow.queue import Queue, connect
from reportflow.runner.context import Executor
from reportflow.runner.events import EventSink, FanoutSink, LogSink
from reportflow.runner.executors import warm_up
from reportflow.runner.hooks import RunnerHooks
from reportflow.runner.metrics_hooks import MeteredExecutor, MetricsHooks
from reportflow.runner.pool import Runner, default_worker_id

log = logging.getLogger("reportflow.runner")


def build_runner(
    settings: Settings,
    queue: Queue,
    executor: Executor,
    *,
    sink: EventSink | None = None,
    hooks: Sequence[RunnerHooks] = (),
) -> Runner:
    """A runner configured by ``settings.runner``, exporting its metrics."""
    rs = settings.runner
    worker_id = default_worker_id()
    return Runner(
        queue,
        MeteredExecutor(executor),
        concurrency=rs.concurrency,
        sink=sink or LogSink(),
        hooks=[MetricsHooks(worker_id, rs.concurrency), *hooks],
        worker_id=worker_id,
        lease_seconds=rs.lease_seconds,
        heartbeat_seconds=rs.heartbeat_seconds,
        grace_seconds=rs.grace_seconds,
        claim_batch=rs.claim_batch,
    )


def report_executor(settings: Settings) -> Executor:
    """The default executor: reports from the configured catalog into the artifact store."""
    from reportflow.artifacts import open_store
    from reportflow.catalog import Catalog
    from reportflow.runner.executors import ReportExecutor

    catalog = Catalog.from_settings(settings)
    for problem in catalog.check():
        log.warning("catalog problem: %s", problem)
    store = open_store(settings.resolved_artifacts_url)
    return ReportExecutor(catalog, settings, store)


def load_factory(spec: str, what: str) -> Callable[[Settings], Any]:
    """``module:name`` → the callable it names. Raises ConfigError naming ``spec``."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"{what} {spec!r} must look like 'package.module:factory'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"{what} {spec!r}: cannot import {module_name!r}: {exc}") from exc
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ConfigError(f"{what} {spec!r}: {module_name} has no callable {attr!r}")
    return factory  # type: ignore[no-any-return]


async def event_sink(settings: Settings) -> EventSink:
    """Where a standalone runner's events go.

    With ``webhook_secret`` and ``requestor.public_url`` set: signed webhooks
    to the requestor's ``/hooks/runner`` through a durable outbox in the
    runner's database (``database_url``), plus the log. Otherwise the log only.
    """
    public_url = settings.requestor.public_url
    if not (settings.webhook_secret and public_url):
        log.info("events go to the log only (set webhook_secret and requestor.public_url)")
        return LogSink()
    from reportflow.webhooks import WebhookSink

    hook_url = public_url.rstrip("/") + "/hooks/runner"
    webhook = await WebhookSink.connect(
        hook_url,
        settings.webhook_secret.split(),
        settings.resolved_database_url,
        name="runner",
        batch_size=settings.runner.webhook_batch,
    )
    log.info("events go to %s", hook_url)
    return FanoutSink(LogSink(), webhook)


def tune_switch_interval(settings: RunnerSettings) -> None:
    """Hand the GIL between threads every ``switch_interval_seconds`` (1 ms by default).

    A run's thread lets go of the GIL at each system call it makes (a file
    written, a socket read) and must get it back from the event loop's
    thread, which keeps it until it blocks or the switch interval passes.
    With Python's 5 ms and a busy loop, a short report's thread waits for it
    in steps of up to 5 ms; at 100 reports/s in the embedded server the
    executor's p99 fell from about 19 ms to about 12 ms with 1 ms
    (docs/benchmarks.md, "Seventh round"). Process-wide: call it in a
    process that runs reports.
    """
    sys.setswitchinterval(settings.switch_interval_seconds)


async def serve(
    settings: Settings,
    executor: Executor,
    *,
    sink: EventSink | None = None,
    hooks: Sequence[RunnerHooks] = (),
    started: Callable[[Runner], None] | None = None,
) -> None:
    """Run a runner on ``settings``' queue until SIGTERM/SIGINT, then drain.

    Without ``sink`` the events go where :func:`event_sink` says.
    """
    queue = connect(settings.resolved_queue_url)
    await queue.connect()
    try:
        if sink is None:
            sink = await event_sink(settings)
        await warm_up(executor)
        runner = build_runner(settings, queue, executor, sink=sink, hooks=hooks)
        tune_gc()
        tune_switch_interval(settings.runner)
        done = asyncio.Event()
        drains: list[asyncio.Task[None]] = []

        def on_signal(signum: int) -> None:
            name = signal.Signals(signum).name
            if not drains:
                log.info("%s: draining (grace %gs)", name, runner.grace_seconds)
                drains.append(asyncio.create_task(runner.drain()))
            else:
                log.info("%s again: handing running jobs back now", name)
                drains.append(asyncio.create_task(runner.drain(0)))
            drains[-1].add_done_callback(lambda _: done.set())

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, on_signal, signum)
        try:
            await runner.start()
            if started is not None:
                started(runner)
            await done.wait()
            await asyncio.gather(*drains)
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
    finally:
        await queue.close()
        if sink is not None:
            await sink.close()
