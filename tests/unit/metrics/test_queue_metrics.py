"""QueueMetrics: depth per state and oldest wait from Queue.stats(), refreshed in the background."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from metrics_kit import Delta, eventually, value

from reportflow.errors import QueueError
from reportflow.queue import Queue, QueueStats, connect
from reportflow.queue.memory import MemoryQueue
from reportflow.queue.metrics import QueueMetrics


@pytest.fixture
async def queue() -> AsyncIterator[MemoryQueue]:
    q = connect("memory://")
    assert isinstance(q, MemoryQueue)
    async with q:
        yield q


def _name() -> str:
    return f"q{uuid.uuid4().hex[:10]}"


async def test_refresh_sets_depth_per_state_and_oldest_wait(queue: MemoryQueue) -> None:
    name = _name()
    for _ in range(3):
        await queue.enqueue("sales", {}, queue=name)
    await asyncio.sleep(0.02)
    await queue.claim("w1", limit=1, queues=(name,))
    await QueueMetrics(queue, [name]).refresh()
    assert value("reportflow_queue_depth", queue=name, state="queued") == 2
    assert value("reportflow_queue_depth", queue=name, state="running") == 1
    assert value("reportflow_queue_depth", queue=name, state="dead") == 0
    assert value("reportflow_queue_oldest_wait_seconds", queue=name) >= 0.02


async def test_background_refresh_follows_the_queue(queue: MemoryQueue) -> None:
    name = _name()
    async with QueueMetrics(queue, [name], interval=0.02):
        # start() refreshed once already: the empty queue reads zero.
        assert value("reportflow_queue_depth", queue=name, state="queued") == 0
        await queue.enqueue("sales", {}, queue=name)
        await eventually("reportflow_queue_depth", 1, queue=name, state="queued")


class BrokenQueue(MemoryQueue):
    async def _stats(self, queue: str, now: float) -> QueueStats:
        raise QueueError("database is locked")


async def test_failed_refresh_keeps_last_values_and_counts_the_error() -> None:
    name = _name()
    queue: Queue = BrokenQueue()
    errors = Delta("reportflow_queue_stats_errors_total", queue=name)
    await QueueMetrics(queue, [name]).refresh()
    assert errors.change == 1
    assert value("reportflow_queue_depth", queue=name, state="queued") == 0


@pytest.mark.parametrize(
    ("queues", "interval", "culprit"),
    [(["default"], 0, "interval"), (["default"], -1, "interval"), ([""], 1.0, "queue")],
)
def test_bad_arguments_name_the_culprit(
    queues: list[str], interval: float, culprit: str, queue: MemoryQueue
) -> None:
    with pytest.raises(QueueError, match=culprit):
        QueueMetrics(queue, queues, interval=interval)


async def test_started_twice_is_an_error(queue: MemoryQueue) -> None:
    metrics = QueueMetrics(queue, [_name()], interval=10)
    async with metrics:
        with pytest.raises(QueueError, match="already running"):
            await metrics.start()
