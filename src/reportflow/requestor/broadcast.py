"""Fan-out of user channel events: the :class:`Broadcast` interface and its in-process twin.

Publishing happens after the event is committed to the user's log, so a
broadcast is only a fast path: anything a subscriber misses (it was slow, it
was disconnected, another requestor process published it) is found again by
replaying the log. That is why delivery here can be lossy by design: a
subscriber that falls ``maxsize`` events behind is cut off, not buffered
without bound.
"""

from __future__ import annotations

import abc
import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

OVERFLOW: dict[str, Any] = {"type": "_overflow"}
"""Control item a subscription yields once it fell too far behind."""


class SharedMessage(dict[str, Any]):
    """A message handed to many subscribers, encoded to JSON once for all of them.

    A user with thousands of open channels would otherwise pay one
    ``json.dumps`` per connection for the same event. Treat it as read-only:
    the cached text does not follow later changes.
    """

    __slots__ = ("_text",)

    def text(self) -> str:
        try:
            return self._text
        except AttributeError:
            self._text: str = encode(dict(self))
            return self._text


def encode(message: dict[str, Any]) -> str:
    """The websocket text of a message (Starlette's ``send_json`` encoding)."""
    if isinstance(message, SharedMessage):
        return message.text()
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


class Subscription:
    """One subscriber's bounded inbox.

    ``maxsize`` bounds the *live* messages waiting; control items (pings,
    disconnect notices, the overflow marker) are few and never count.
    """

    def __init__(self, channel: str, maxsize: int) -> None:
        self.channel = channel
        self.maxsize = maxsize
        self.overflowed = False
        self._items: asyncio.Queue[tuple[bool, dict[str, Any]]] = asyncio.Queue()
        self._live = 0

    def deliver(self, message: dict[str, Any]) -> bool:
        """Queue a live message; False (and overflow) when the subscriber is too far behind."""
        if self.overflowed:
            return False
        if self._live >= self.maxsize:
            self.overflowed = True
            self._items.put_nowait((False, OVERFLOW))
            return False
        self._live += 1
        self._items.put_nowait((True, message))
        return True

    def control(self, message: dict[str, Any]) -> None:
        """Queue a control item for the consumer (never dropped, never counted)."""
        self._items.put_nowait((False, message))

    async def get(self) -> dict[str, Any]:
        live, message = await self._items.get()
        if live:
            self._live -= 1
        return message


class Broadcast(abc.ABC):
    """Publish a message to every current subscriber of a channel.

    Backends: :class:`MemoryBroadcast` (one process). A Redis pub/sub or
    Postgres NOTIFY backend lets several requestors share channels; each only
    has to fill in :meth:`publish` and :meth:`subscribe`.
    """

    @abc.abstractmethod
    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Hand ``message`` to every subscriber of ``channel``; never blocks on a slow one."""

    @abc.abstractmethod
    def subscribe(self, channel: str, *, maxsize: int) -> AbstractAsyncContextManager[Subscription]:
        """An async context manager yielding a :class:`Subscription` (use ``async with``)."""

    async def close(self) -> None:
        """Release connections (nothing for the in-process backend)."""
        return None


class MemoryBroadcast(Broadcast):
    """Channels within one process."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = {}

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        for sub in list(self._subscribers.get(channel, ())):
            sub.deliver(message)

    @asynccontextmanager
    async def subscribe(self, channel: str, *, maxsize: int) -> AsyncIterator[Subscription]:
        sub = Subscription(channel, maxsize)
        self._subscribers.setdefault(channel, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._subscribers.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[channel]

    def subscriber_count(self, channel: str) -> int:
        return len(self._subscribers.get(channel, ()))


def user_channel(user_id: int) -> str:
    """The channel name of one user's events."""
    return f"user:{user_id}"
