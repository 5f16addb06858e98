"""A sticky wake-up signal shared by the backends.

``notify`` sets a flag that stays set until a waiter has seen it, so a wake-up
that arrives while a claimer is busy (between its empty claim and its next
``wait``) is not lost. Every task waiting at the moment of ``notify`` wakes.
"""

from __future__ import annotations

import asyncio
import contextlib


class WakeUp:
    """An ``asyncio.Event`` that clears itself when a waiter returns."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        """True when woken, False on timeout."""
        woken = self._event.is_set()
        if not woken and timeout > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._event.wait()
                    woken = True
        self._event.clear()
        return woken
