"""The websocket session logic against a socket whose sends block (a slow client)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from requestor_harness import Harness
from starlette.websockets import WebSocketDisconnect

from reportflow.requestor.channels import CLOSE_SLOW_CONSUMER, ChannelSession, publish_entry
from reportflow.store import events


class SlowSocket:
    """Sends block until ``unblock``; the client never says anything."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.closed: tuple[int, str] | None = None
        self.ready = asyncio.Event()

    async def send_json(self, data: dict[str, Any]) -> None:
        await self.gate.wait()
        self.sent.append(data)
        if data.get("type") == "ready":
            self.ready.set()

    async def send_text(self, text: str) -> None:
        await self.send_json(json.loads(text))  # entries go out pre-encoded

    async def receive_json(self) -> Any:
        await asyncio.Event().wait()  # a silent client

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)


async def _append(rf: Harness, n: int) -> None:
    async with rf.store.transaction() as db:
        entry = await events.append_event(
            db,
            user_id=1,
            report_id="r",
            type="report.progress",
            attempt=1,
            status="running",
            at=float(n),
            data={"rows": n},
        )
    await publish_entry(rf.app.state.services, entry)


async def test_slow_consumer_is_cut_then_replay_covers_the_rest(rf: Harness) -> None:
    buffer = rf.settings.requestor.ws_buffer
    ws = SlowSocket()
    session = ChannelSession(ws, rf.app.state.services, user_id=1, since=0)  # type: ignore[arg-type]
    task = asyncio.create_task(session.run())
    await ws.ready.wait()  # "ready" went out: subscribed, replay done
    ws.gate.clear()  # the client stops reading
    await _append(rf, 0)  # the pump picks it up and blocks sending it
    for n in range(1, buffer + 5):
        await _append(rf, n)
    ws.gate.set()
    await asyncio.wait_for(task, 10)
    assert ws.closed is not None
    assert ws.closed[0] == CLOSE_SLOW_CONSUMER
    sent = [m["seq"] for m in ws.sent if "seq" in m and m.get("type", "").startswith("report.")]
    assert sent == list(range(1, len(sent) + 1))
    assert len(sent) < buffer + 5
    assert f"since={sent[-1]}" in ws.closed[1]
    # Reconnecting with since=last replays exactly the rest.
    again = SlowSocket()
    resumed = ChannelSession(again, rf.app.state.services, user_id=1, since=sent[-1])  # type: ignore[arg-type]
    resumed_task = asyncio.create_task(resumed.run())
    await again.ready.wait()  # sent after the whole replay
    resumed_task.cancel()
    with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
        await resumed_task
    replayed = [m["seq"] for m in again.sent if m.get("type", "").startswith("report.")]
    assert sent + replayed == list(range(1, buffer + 5 + 1))
