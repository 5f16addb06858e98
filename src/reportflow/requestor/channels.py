"""User channels: publish log entries, and serve one websocket with replay.

The replay protocol (see docs/requestor.md): the client connects with the last
``seq`` it saw; the server first subscribes to live events (buffering them),
then sends everything in the log after that seq, then the buffer, skipping
any seq already sent. Because an entry is published only after its
transaction committed, and per-user seqs commit in order, a live entry whose
seq is not the next one means the subscriber missed something; the server
then reads the gap from the log instead of guessing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from reportflow.metrics import EVENTS_PUBLISHED, WEBSOCKET_CONNECTIONS
from reportflow.requestor.broadcast import (
    OVERFLOW,
    SharedMessage,
    Subscription,
    encode,
    user_channel,
)
from reportflow.requestor.services import Services
from reportflow.store import LogEntry, events

log = logging.getLogger("reportflow.requestor.channels")

REPLAY_PAGE = 500
CLOSE_SLOW_CONSUMER = 4008
CLOSE_PING_TIMEOUT = 4009
CLOSE_BAD_MESSAGE = 4400
_CLOSED: dict[str, Any] = {"type": "_closed"}
_BAD_MESSAGE: dict[str, Any] = {"type": "_bad_message"}
_PING_DUE: dict[str, Any] = {"type": "_ping_due"}


async def publish_entry(services: Services, entry: LogEntry) -> None:
    """Send a committed log entry to the user's live subscribers."""
    EVENTS_PUBLISHED.labels(entry.type.removeprefix("report.")).inc()
    message = SharedMessage(entry.to_dict())
    await services.broadcast.publish(user_channel(entry.user_id), message)


class ChannelSession:
    """One connected websocket of one user."""

    def __init__(self, ws: WebSocket, services: Services, user_id: int, since: int) -> None:
        self.ws = ws
        self.services = services
        self.user_id = user_id
        self.last_sent = since
        self.last_heard = time.monotonic()

    async def run(self) -> None:
        config = self.services.config
        channel = user_channel(self.user_id)
        WEBSOCKET_CONNECTIONS.inc()
        try:
            async with self.services.broadcast.subscribe(channel, maxsize=config.ws_buffer) as sub:
                await self._replay()
                await self.ws.send_json({"type": "ready", "seq": self.last_sent})
                reader = asyncio.create_task(self._read(sub))
                ticker = asyncio.create_task(self._tick(sub, config.ws_ping_seconds))
                try:
                    await self._pump(sub, config.ws_ping_seconds)
                finally:
                    for task in (reader, ticker):
                        task.cancel()
                    await asyncio.gather(reader, ticker, return_exceptions=True)
        except WebSocketDisconnect:
            pass
        finally:
            WEBSOCKET_CONNECTIONS.dec()

    async def _replay(self) -> None:
        """Send every logged entry after ``last_sent``, page by page."""
        while True:
            async with self.services.store.read() as db:
                page = await events.list_events(
                    db, self.user_id, since=self.last_sent, limit=REPLAY_PAGE
                )
            for entry in page:
                await self._send_entry(entry.to_dict())
            if len(page) < REPLAY_PAGE:
                return

    async def _send_entry(self, entry: dict[str, Any]) -> None:
        await self.ws.send_text(encode(entry))
        self.last_sent = int(entry["seq"])

    async def _pump(self, sub: Subscription, ping_seconds: float) -> None:
        """The only writer after replay: live entries, pings, and the closing."""
        while True:
            item = await sub.get()
            kind = item.get("type")
            if item is OVERFLOW:
                log.info(
                    "channel user %s: slow consumer cut at seq %s", self.user_id, self.last_sent
                )
                await self._close(
                    CLOSE_SLOW_CONSUMER, f"slow consumer; reconnect with since={self.last_sent}"
                )
                return
            if item is _CLOSED:
                return
            if item is _BAD_MESSAGE:
                await self._close(CLOSE_BAD_MESSAGE, 'messages must be JSON, e.g. {"type": "ping"}')
                return
            if item is _PING_DUE:
                if time.monotonic() - self.last_heard > 2 * ping_seconds:
                    await self._close(CLOSE_PING_TIMEOUT, "no pong; reconnect with since")
                    return
                await self.ws.send_json({"type": "ping", "seq": self.last_sent})
            elif kind == "ping":
                await self.ws.send_json({"type": "pong", "seq": self.last_sent})
            elif "seq" in item:
                seq = int(item["seq"])
                if seq <= self.last_sent:
                    continue  # already sent by the replay
                if seq > self.last_sent + 1:
                    await self._replay()  # fill the gap from the log, which has it
                    continue
                await self._send_entry(item)

    async def _read(self, sub: Subscription) -> None:
        """Every client message proves the client alive; pings get a pong."""
        try:
            while True:
                message = await self.ws.receive_json()
                self.last_heard = time.monotonic()
                if isinstance(message, dict) and message.get("type") == "ping":
                    sub.control({"type": "ping"})
        except ValueError:  # not JSON: say so in the close frame, not by dropping the line
            sub.control(_BAD_MESSAGE)
        except (WebSocketDisconnect, RuntimeError):
            sub.control(_CLOSED)

    async def _tick(self, sub: Subscription, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            sub.control(_PING_DUE)

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await self.ws.close(code=code, reason=reason)
