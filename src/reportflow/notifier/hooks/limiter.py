"""Per-hook concurrency: at most N actions run, at most Q calls wait, the rest get 429.

Admission is decided synchronously, when the call arrives, so a background
action (``wait: false``) is refused at once rather than accepted and dropped
later. A waiting call that does not get a slot within its timeout is refused
too. Limits can change on a reload without losing count of what is running.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass


class Busy(Exception):
    """No slot and no room to wait."""


@dataclass(slots=True)
class Ticket:
    """A place in the limiter: running already, or a future that resolves to a slot."""

    limiter: Limiter
    waiting: asyncio.Future[None] | None

    async def acquire(self, timeout: float) -> None:
        """Wait for the slot (no-op when it was free on arrival); raises :class:`Busy`."""
        fut = self.waiting
        if fut is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(fut)
        except BaseException as exc:  # timeout or cancellation: give the place back
            if fut.done() and not fut.cancelled():
                self.limiter.release()  # the slot came just as we gave up: hand it on
            else:
                fut.cancel()
                self.limiter.forget(fut)
            if isinstance(exc, TimeoutError):
                raise Busy from None
            raise
        finally:
            self.waiting = None


class Limiter:
    """Counts running actions and queues waiters in arrival order."""

    def __init__(self, max_running: int, max_queued: int) -> None:
        self.max_running = max_running
        self.max_queued = max_queued
        self.running = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def queued(self) -> int:
        return len(self._waiters)

    def admit(self) -> Ticket:
        """A ticket to run now or later; raises :class:`Busy` when both are full."""
        if self.running < self.max_running and not self._waiters:
            self.running += 1
            return Ticket(self, None)
        if len(self._waiters) >= self.max_queued:
            raise Busy
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        return Ticket(self, fut)

    def release(self) -> None:
        """Give a finished action's slot to the next waiter, or free it."""
        while self._waiters and self.running <= self.max_running:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)  # the slot passes on; ``running`` stays the same
                return
        self.running -= 1

    def forget(self, fut: asyncio.Future[None]) -> None:
        with contextlib.suppress(ValueError):  # already handed a slot and popped
            self._waiters.remove(fut)

    def resize(self, max_running: int, max_queued: int) -> None:
        """New limits (a reload); extra slots go to waiters at once."""
        self.max_running, self.max_queued = max_running, max_queued
        while self._waiters and self.running < self.max_running:
            fut = self._waiters.popleft()
            if not fut.done():
                self.running += 1
                fut.set_result(None)
