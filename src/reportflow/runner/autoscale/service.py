"""The autoscaler on a live runner: observe every tick, decide, resize.

:class:`Autoscaler` builds an :class:`Observation` from the queue's stats
(total jobs → arrivals, queued, running, summed over the runner's queues),
the runner's :class:`SignalHooks` (finished jobs, run time, busy time) and
the runner registry (live runners), hands it to the pure
:class:`Controller`, and applies a changed target through the
:class:`~reportflow.runner.scale.Scaler`: the same path as the scale hook,
so alert effects, bounds, logs and metrics are shared.

:func:`serve_scaled` runs a runner process with the scale hook on its own
HTTP port and, optionally, the autoscaler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import uvicorn

from reportflow.config import Settings
from reportflow.queue.base import JobState
from reportflow.runner.autoscale.controller import (
    AutoscaleConfig,
    Controller,
    Decision,
    Observation,
)
from reportflow.runner.autoscale.peers import Peers, StaticPeers, peers_for
from reportflow.runner.autoscale.signals import SignalHooks
from reportflow.runner.context import Executor
from reportflow.runner.hooks import RunnerHooks
from reportflow.runner.pool import Runner

if TYPE_CHECKING:
    # reportflow.runner.scale imports this package (state, controller): import it lazily.
    from reportflow.runner.scale import Scaler

log = logging.getLogger("reportflow.runner")


class Autoscaler:
    """Drives a :class:`Controller` from a live runner, every ``config.tick_seconds``."""

    def __init__(
        self,
        runner: Runner,
        scaler: Scaler,
        signals: SignalHooks,
        *,
        controller: Controller | None = None,
        peers: Peers | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.runner = runner
        self.scaler = scaler
        self.signals = signals
        self.controller = controller or Controller(
            AutoscaleConfig(
                min_concurrency=scaler.state.minimum, max_concurrency=scaler.state.maximum
            )
        )
        scaler.controller = self.controller
        self.peers: Peers = peers or StaticPeers(1)
        self.clock = clock
        self.wall = wall
        self.last: Decision | None = None
        self._task: asyncio.Task[None] | None = None

    async def observe(self) -> Observation:
        total = queued = running = 0
        for name in self.runner.queues:
            stats = await self.runner.queue.stats(name)
            total += sum(stats.depth.values())
            queued += stats.depth[JobState.QUEUED]
            running += stats.depth[JobState.RUNNING]
        runners = await self.peers.beat(self.runner.worker_id, self.wall())
        now = self.clock()
        return Observation(
            now=now,
            current=self.scaler.state.baseline,
            arrivals_total=total,
            queued=queued,
            running=running,
            busy=self.runner.busy,
            completed_total=self.signals.completed,
            service_seconds_total=self.signals.service_seconds,
            busy_seconds_total=self.signals.busy_seconds(now),
            runners=runners,
        )

    async def tick(self) -> Decision:
        """Observe once, decide, and resize when the target changed."""
        decision = self.controller.decide(await self.observe())
        self.last = decision
        if decision.target != self.scaler.state.baseline:
            await self.scaler.autoscale(decision.target, decision.reason)
        return decision

    async def _loop(self) -> None:
        period = self.controller.config.tick_seconds
        while not self.runner.stopping:
            try:
                await self.tick()
            except Exception:
                # A failed tick (queue or registry down) keeps the current size.
                log.exception("autoscaler tick failed; keeping %d slots", self.runner.concurrency)
            await asyncio.sleep(period)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="runner-autoscale")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        with contextlib.suppress(Exception):
            await self.peers.leave(self.runner.worker_id)
        await self.peers.close()


class _QuietServer(uvicorn.Server):
    """Leaves SIGINT/SIGTERM to the runner process, which drains first."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def autoscale_config(settings: Settings) -> AutoscaleConfig:
    rs = settings.runner
    return AutoscaleConfig(
        min_concurrency=rs.min_concurrency,
        max_concurrency=rs.max_concurrency,
        tick_seconds=rs.autoscale_tick_seconds,
        wait_seconds=rs.autoscale_wait_seconds,
        scale_down_window=rs.scale_down_window_seconds,
    )


async def serve_scaled(
    settings: Settings,
    executor: Executor,
    *,
    hooks: Sequence[RunnerHooks] = (),
    http_host: str = "127.0.0.1",
    http_port: int | None = None,
    autoscale: bool = False,
) -> None:
    """:func:`reportflow.runner.serve` plus the scale hook on ``http_port`` and
    the autoscaler, both stopped after the runner drained."""
    from reportflow.runner.scale import Scaler, create_scale_app
    from reportflow.runner.service import serve

    rs = settings.runner
    signals = SignalHooks()
    parts: dict[str, object] = {}

    def started(runner: Runner) -> None:
        scaler = Scaler(
            runner,
            minimum=rs.min_concurrency,
            maximum=rs.max_concurrency,
            cooldown_seconds=rs.scale_cooldown_seconds,
        )
        if autoscale:
            ttl = 3 * rs.autoscale_tick_seconds
            scaler_auto = Autoscaler(
                runner,
                scaler,
                signals,
                controller=Controller(autoscale_config(settings)),
                peers=peers_for(settings.resolved_queue_url, ttl),
            )
            scaler_auto.start()
            parts["autoscaler"] = scaler_auto
        if http_port is not None:
            app = create_scale_app(scaler, token=rs.scale_token)
            config = uvicorn.Config(app, host=http_host, port=http_port, log_config=None)
            server = _QuietServer(config)
            parts["server"] = server
            parts["serving"] = asyncio.create_task(server.serve(), name="runner-http")
            log.info("runner scale hook on http://%s:%d/hooks/scale", http_host, http_port)

    try:
        await serve(settings, executor, hooks=[*hooks, signals], started=started)
    finally:
        auto = parts.get("autoscaler")
        if isinstance(auto, Autoscaler):
            await auto.stop()
        server = parts.get("server")
        serving = parts.get("serving")
        if isinstance(server, _QuietServer) and isinstance(serving, asyncio.Task):
            server.should_exit = True
            await serving
