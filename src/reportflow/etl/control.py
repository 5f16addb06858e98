"""The link between a run's worker thread and the event loop that awaits it.

A run's pipeline (extract → transform → render/load) runs in one dedicated
thread; the loop keeps control through a :class:`RunControl`:

* cancellation: the loop calls :meth:`RunControl.cancel`; the thread notices at
  the next batch boundary (:meth:`check`) and unwinds with :class:`RunCancelled`;
  blocking engines register an interrupt (DuckDB's ``interrupt``) so a long
  query stops too;
* progress: the thread calls :meth:`report` as rows move; updates are throttled
  (stage changes always pass) and handed to the loop, where a task delivers
  them to the callback in order while any are pending (none is kept for a
  run that sends none); :meth:`finish` delivers the last one in the caller's
  own task;
* async report functions: the thread awaits coroutines on the loop with
  :meth:`run_on_loop`, polling for cancellation while it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
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
        self._pending: deque[Progress] = deque()
        self._pump: asyncio.Task[None] | None = None
        """Delivers ``_pending`` while it is not empty (loop side)."""
        self.percent: float | None = None
        """Set by sources that know how far they are (0–100)."""
        self._deferred: list[Callable[[], None]] = []
        self.source_error: BaseException | None = None
        """The first error raised by the source, kept because engines that pull
        the source themselves (DuckDB) wrap it in their own error."""

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
        """Queue a progress update (worker thread), throttled per :data:`PROGRESS_INTERVAL`."""
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
        self._loop.call_soon_threadsafe(self._enqueue, update)

    def _enqueue(self, update: Progress) -> None:
        self._pending.append(update)
        if self._pump is None:
            self._pump = self._loop.create_task(self._deliver())

    async def _deliver(self) -> None:
        try:
            while self._pending:
                await self._call(self._pending.popleft())
        finally:
            self._pump = None

    async def _call(self, update: Progress) -> None:
        if self._callback is None:
            return
        try:
            await self._callback(update)
        except Exception:  # a broken progress consumer must not fail the report
            log.warning("progress callback failed", exc_info=True)

    async def finish(self, stage: str, rows: int) -> None:
        """Deliver the run's last update (loop side), after every earlier one.

        Called once the worker thread is done, so everything it reported is
        pending already; the last update goes out in the caller's own task.
        """
        if self._callback is None:
            return
        if self._pump is not None:
            await self._pump
        await self._call(Progress(stage=stage, rows=rows, percent=self.percent))

    async def close(self, *, drain: bool = True) -> None:
        """After the run (loop side): wait for the updates still being
        delivered when ``drain`` is true; a failed or cancelled run drops them."""
        pump = self._pump
        if pump is None:
            return
        if drain:
            await pump
            return
        self._pending.clear()
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump

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
