"""A real runner under a burst of sleep jobs: the autoscaler grows it, drains the
queue, and shrinks it back after the stabilization window."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from reportflow.queue import JobState, Queue, connect
from reportflow.runner import Runner, RunnerHooks, SleepExecutor
from reportflow.runner.autoscale import (
    AutoscaleConfig,
    Autoscaler,
    Controller,
    MemoryPeers,
    SignalHooks,
)
from reportflow.runner.scale import Scaler

pytestmark = pytest.mark.integration

JOBS = 80
JOB_SECONDS = 0.2
WINDOW = 1.0


class Sizes(RunnerHooks):
    """Records every resize and signals when the pool is back at the minimum."""

    def __init__(self, minimum: int) -> None:
        self.minimum = minimum
        self.history: list[tuple[float, int, str]] = []
        self.back_to_min = asyncio.Event()

    async def on_resize(self, old: int, new: int, reason: str) -> None:
        self.history.append((time.monotonic(), new, reason))
        if new == self.minimum and old > new:
            self.back_to_min.set()


async def wait_done(queue: Queue, n: int, timeout: float) -> float:
    """Seconds until ``n`` jobs succeeded (bounded)."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        stats = await queue.stats()
        if stats.depth[JobState.SUCCEEDED] >= n:
            return time.monotonic() - began
        await queue.wait(0.05)
        await asyncio.sleep(0.02)
    raise AssertionError(f"only {(await queue.stats()).depth} after {timeout}s")


def fast_config() -> AutoscaleConfig:
    return AutoscaleConfig(
        min_concurrency=1,
        max_concurrency=40,
        tick_seconds=0.1,
        wait_seconds=0.2,
        drain_seconds=0.5,
        scale_down_window=WINDOW,
        rate_window=0.3,
        initial_service_seconds=JOB_SECONDS,
    )


@pytest.mark.parametrize("url", ["memory://", "sqlite"])
async def test_burst_scales_up_drains_and_falls_back(url: str, tmp_path: Path) -> None:
    queue_url = f"sqlite:///{tmp_path / 'q.db'}" if url == "sqlite" else url
    sizes = Sizes(minimum=1)
    signals = SignalHooks()
    async with connect(queue_url) as queue:
        runner = Runner(
            queue,
            SleepExecutor(JOB_SECONDS),
            concurrency=1,
            hooks=[signals, sizes],
            lease_seconds=5.0,
            heartbeat_seconds=1.0,
            grace_seconds=0.0,
            poll_seconds=0.05,
        )
        scaler = Scaler(runner, minimum=1, maximum=40)
        auto = Autoscaler(
            runner,
            scaler,
            signals,
            controller=Controller(fast_config()),
            peers=MemoryPeers(f"live-{url}-{tmp_path.name}", ttl=1.0),
        )
        await runner.start()
        auto.start()
        try:
            for _ in range(JOBS):
                await queue.enqueue("sleep", {"seconds": JOB_SECONDS})
            took = await wait_done(queue, JOBS, timeout=30)
            drained_at = time.monotonic()
            peak = max(n for _, n, _ in sizes.history)
            # Serially the burst takes JOBS × 0.2 s = 16 s; scaled, a fraction of that.
            assert peak >= 8, sizes.history
            assert took < JOBS * JOB_SECONDS / 2
            assert all("autoscale" in reason for _, _, reason in sizes.history)
            await asyncio.wait_for(sizes.back_to_min.wait(), timeout=10)
            fell_at = next(t for t, n, _ in sizes.history if n == 1 and t > drained_at - 1)
            # Held for (roughly) the stabilization window after the last busy tick.
            assert fell_at - drained_at >= WINDOW * 0.5
            assert runner.concurrency == 1
        finally:
            await auto.stop()
            await runner.drain(0)


async def test_scale_hook_and_autoscaler_share_the_resize_path() -> None:
    signals = SignalHooks()
    async with connect("memory://") as queue:
        runner = Runner(queue, SleepExecutor(0.05), concurrency=2, hooks=[signals])
        scaler = Scaler(runner, minimum=1, maximum=10)
        auto = Autoscaler(runner, scaler, signals, controller=Controller(fast_config()))
        from reportflow.runner.scale import parse_request

        # A manual target is held for a whole window even though the queue is idle.
        await scaler.apply(parse_request(b'{"target": 6}'))
        decision = await auto.tick()
        assert decision.target == 6
        assert runner.concurrency == 6
        await asyncio.sleep(WINDOW + 0.2)
        await auto.tick()
        decision = await auto.tick()
        assert decision.target == 1
        assert runner.concurrency == 1
