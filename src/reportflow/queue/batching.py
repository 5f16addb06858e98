"""Group commit: concurrent calls share one transaction.

While one transaction is being written, calls that arrive queue up and go
together in the next one, so a busy runner pays one commit (one fsync) for
many acks or enqueues, and an idle one pays no extra wait: the first call
flushes on the next turn of the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

DEFAULT_MAX_BATCH = 500

Flush = Callable[[Sequence[Item]], Awaitable[Sequence[Result | BaseException]]]


class GroupCommit(Generic[Item, Result]):
    """Collects items and writes them in batches with ``flush``.

    ``flush(items)`` returns one result (or exception) per item, in order; if
    it raises, every item of the batch gets that exception.
    """

    def __init__(self, flush: Flush[Item, Result], *, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            try:
                results = await self._flush([item for item, _ in batch])
            except BaseException as exc:  # handed to every caller below
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue  # the caller gave up (cancelled)
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def aclose(self) -> None:
        """Wait for what is queued to be written."""
        worker = self._worker
        if worker is not None and not worker.done():
            await worker
