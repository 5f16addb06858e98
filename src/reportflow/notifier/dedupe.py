"""Remembers, per notification key, which channels already delivered it.

Alertmanager re-sends a group at every ``repeat_interval`` and each peer of an
HA cluster sends its own copy; within the window, a repeat must not notify
anyone twice. The memory is per channel rather than per request: when one
channel failed and Alertmanager retries the request, only that channel sends
again. A per-key lock makes concurrent copies wait for the first one, so a
flood of identical requests yields one send.

The memory lives in the process: replicas behind a load balancer dedupe each
on their own (Alertmanager's HA peers normally post to the same receiver URL).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

MAX_KEYS = 100_000


class DedupeCache:
    """Delivered channel ids per key, forgotten ``window`` seconds after the first send."""

    def __init__(self, window: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._seen: OrderedDict[str, tuple[float, set[str]]] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiters: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Serialise handling of one key (identical requests queue behind each other)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiters[key] = self._waiters.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiters[key] -= 1
            if not self._waiters[key]:
                del self._waiters[key], self._locks[key]

    def delivered(self, key: str) -> set[str]:
        """Channel ids that already delivered ``key`` inside the window."""
        self._expire()
        entry = self._seen.get(key)
        return set(entry[1]) if entry else set()

    def mark(self, key: str, channel_ids: set[str]) -> None:
        if self.window <= 0 or not channel_ids:
            return
        expires, done = self._seen.get(key, (self._clock() + self.window, set()))
        self._seen[key] = (expires, done | channel_ids)
        while len(self._seen) > MAX_KEYS:
            self._seen.popitem(last=False)

    def _expire(self) -> None:
        now = self._clock()
        # Entries are inserted in expiry order (same window for all), so stop at the first live one.
        while self._seen:
            key, (expires, _) = next(iter(self._seen.items()))
            if expires > now:
                break
            del self._seen[key]
