"""Queue depth and oldest wait as Prometheus gauges, refreshed in the background.

``Queue.stats()`` is async and may cost a query, while a Prometheus collector
is called synchronously inside the scrape; so a small task refreshes the
gauges every ``interval`` seconds and a scrape reads the last snapshot (at most
``interval`` old). Every process that holds the queue may run one: the values
are the same from each, and the shipped rules aggregate with ``max``.

    async with QueueMetrics(queue, interval=5.0):
        ...  # serve

A failed refresh is logged and retried next tick; the gauges keep their last
values, and the ``reportflow_queue_stats_errors_total`` counter says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Self

from reportflow.errors import QueueError
from reportflow.metrics import QUEUE_DEPTH, QUEUE_OLDEST_WAIT, QUEUE_STATS_ERRORS
from reportflow.queue import checks
from reportflow.queue.base import JobState, Queue

log = logging.getLogger("reportflow.queue")

DEFAULT_INTERVAL = 5.0


class QueueMetrics:
    """Refreshes ``reportflow_queue_depth`` and ``reportflow_queue_oldest_wait_seconds``.

    Args:
        queue: an open queue.
        queues: the queue names to watch.
        interval: seconds between refreshes (> 0).

    Raises QueueError for a bad interval or queue name.
    """

    def __init__(
        self,
        queue: Queue,
        queues: Sequence[str] = ("default",),
        *,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self.queue = queue
        self.queues = checks.queues(tuple(queues))
        self.interval = checks.seconds("interval", interval, allow_zero=False)
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        """Read every watched queue's stats once and set the gauges."""
        for name in self.queues:
            try:
                stats = await self.queue.stats(name)
            except Exception as exc:
                QUEUE_STATS_ERRORS.labels(name).inc()
                log.warning("queue metrics: stats of %r failed: %s", name, exc)
                continue
            for state in JobState:
                QUEUE_DEPTH.labels(name, state.value).set(stats.depth.get(state, 0))
            QUEUE_OLDEST_WAIT.labels(name).set(stats.oldest_wait_seconds)

    async def start(self) -> None:
        """Refresh once now, then every ``interval`` seconds until :meth:`stop`."""
        if self._task is not None:
            raise QueueError("queue metrics are already running")
        await self.refresh()
        self._task = asyncio.create_task(self._loop(), name="reportflow-queue-metrics")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.refresh()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
