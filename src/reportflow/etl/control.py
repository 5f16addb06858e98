"""The link between a run's worker thread and the event loop that awaits it.

A run's pipeline (extract → transform → render/load) runs in one dedicated
thread; the loop keeps control through a :class:`RunControl`:

* cancellation: the loop calls :meth:`RunControl.cancel`; the thread notices at
  the next batch boundary (:meth:`check`) and unwinds with :class:`RunCancelled`;
  blocking engines register an interrupt (DuckDB's ``interrupt``) so a long
  query stops too;
* progress: the thread calls :meth:`report` as rows move; updates are throttled
  (stage changes always pass) and handed to the loop, where one task delivers
  them to the callback in order;
* async report functions: the thread awaits coroutines on the loop with
  :meth:`run_on_loop`, polling for cancellation while it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from reportflow.etl.contract import Progress, ProgressCallback

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Minimum seconds between two progress updates of the same stage.
PROGRESS_INTERVAL = 0.25
_POLL_SECONDS = 0.1


class RunCancelled(Exception):
    """Raised inside the worker thread when the run was cancelled."""


class RunControl:
    """Cancellation, progress and loop access for one run's worker thread."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        progress: ProgressCallback | None,
        *,
        interval: float = PROGRESS_INTERVAL,
    ) -> None:
        self._loop = loop
        self._callback = progress
        self._interval = interval
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._interrupts: list[Callable[[], None]] = []
        self._last_stage: str | None = None
        self._last_time = 0.0
        self._queue: asyncio.Queue[Progress | None] = asyncio.Queue()
        self._deliverer: asyncio.Task[None] | None = None
        self.percent: float | None = None
        """Set by sources that know how far they are (0–100)."""
        self._deferred: list[Callable[[], None]] = []
        self.source_error: BaseException | None = None
        """The first error raised by the source, kept because engines that pull
        the source themselves (DuckDB) wrap it in their own error."""
        if progress is not None:
            self._deliverer = loop.create_task(self._deliver(progress))

    # -- cancellation ---------------------------------------------------------
    @property
    def cancelled(self) -> bool:
        return self._stopped.is_set()

    def cancel(self) -> None:
        """Ask the worker thread to stop (safe from any thread)."""
        self._stopped.set()
        with self._lock:
            interrupts = list(self._interrupts)
        for interrupt in interrupts:
            try:
                interrupt()
            except Exception:  # an interrupt is best effort; the flag still stops the run
                log.debug("interrupt failed", exc_info=True)

    def check(self) -> None:
        """Raise RunCancelled when the run was cancelled."""
        if self._stopped.is_set():
            raise RunCancelled

    def raise_source_error(self) -> None:
        """Re-raise the source's own error, if it had one (see ``source_error``)."""
        if self.source_error is not None:
            raise self.source_error

    def defer(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` when the pipeline ends, however it ends (worker thread).

        Sources close cursors and connections this way, because a lazy reader
        that is never iterated never runs its own ``finally``."""
        self._deferred.append(fn)

    def run_deferred(self) -> None:
        """Run the deferred closers, newest first; each at most once."""
        while self._deferred:
            fn = self._deferred.pop()
            try:
                fn()
            except Exception:  # closing is best effort; the run's outcome is decided
                log.debug("closing a resource failed", exc_info=True)

    def add_interrupt(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Call ``fn`` on cancel; returns a function that unregisters it."""
        with self._lock:
            self._interrupts.append(fn)

        def remove() -> None:
            with self._lock:
                if fn in self._interrupts:
                    self._interrupts.remove(fn)

        return remove

    # -- progress -------------------------------------------------------------
    def report(self, stage: str, rows: int, *, force: bool = False) -> None:
        """Queue a progress update, throttled per :data:`PROGRESS_INTERVAL`."""
        if self._callback is None:
            return
        now = time.monotonic()
        with self._lock:
            changed = stage != self._last_stage
            if not (force or changed or now - self._last_time >= self._interval):
                return
            self._last_stage = stage
            self._last_time = now
        update = Progress(stage=stage, rows=rows, percent=self.percent)
        self._loop.call_soon_threadsafe(self._queue.put_nowait, update)

    async def _deliver(self, callback: ProgressCallback) -> None:
        while (update := await self._queue.get()) is not None:
            try:
                await callback(update)
            except Exception:  # a broken progress consumer must not fail the report
                log.warning("progress callback failed", exc_info=True)

    async def close(self, *, drain: bool = True) -> None:
        """Stop the delivery task (loop side), after delivering what is queued
        when ``drain`` is true; a failed or cancelled run drops the rest."""
        if self._deliverer is None:
            return
        if not drain:
            self._deliverer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._deliverer
            return
        # Through the loop's ready queue, behind updates the thread already sent.
        self._loop.call_soon(self._queue.put_nowait, None)
        await asyncio.shield(self._deliverer)

    # -- loop access ----------------------------------------------------------
    def run_on_loop(self, make: Callable[[], Awaitable[T]]) -> T:
        """Await ``make()`` on the loop from the worker thread; cancellable."""

        async def runner() -> T:
            return await make()

        coro: Coroutine[Any, Any, T] = runner()
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        while True:
            try:
                return future.result(timeout=_POLL_SECONDS)
            except TimeoutError:
                if self._stopped.is_set():
                    future.cancel()
                    raise RunCancelled from None
