"""User channels over a real websocket: replay, live, cuts and reconnects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from requestor_harness import Harness, harness, live_server, runner_event

pytestmark = pytest.mark.integration

SALES = {"report": "sales", "params": {"region": "north"}}


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[tuple[Harness, str]]:
    async with harness(tmp_path, ws_buffer=8, ws_ping_seconds=30) as h:
        await h.add_user("ann")
        await h.add_user("bob")
        async with live_server(h.app) as address:
            yield h, address


def _ws(address: str, h: Harness, user: str, since: int = 0, query: str = "") -> Any:
    return websockets.connect(
        f"ws://{address}/api/v1/ws?since={since}{query}",
        additional_headers={"Authorization": f"Bearer {h.tokens[user]}"},
        max_queue=None,
    )


async def _submit(h: Harness) -> str:
    async with h.client("ann") as c:
        return str((await c.post("/api/v1/reports", json=SALES)).json()["id"])


async def _hook(h: Harness, body: dict[str, Any]) -> None:
    raw, headers = h.hook(body)
    async with h.client() as c:
        assert (await c.post("/hooks/runner", content=raw, headers=headers)).status_code == 200


async def _events(ws: Any, until_seq: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        while not got or got[-1]["seq"] < until_seq:
            message = json.loads(await ws.recv())
            if message["type"].startswith("report."):
                got.append(message)
    return got


async def test_replay_then_live_without_gaps_or_duplicates(live: tuple[Harness, str]) -> None:
    h, address = live
    ids = [await _submit(h) for _ in range(3)]  # seq 1..3 before connecting
    async with _ws(address, h, "ann", since=1) as ws:
        writer = asyncio.gather(*(_hook(h, runner_event(rid, "started")) for rid in ids))
        got = await _events(ws, until_seq=6)
        await writer
    assert [e["seq"] for e in got] == [2, 3, 4, 5, 6]
    assert sorted(e["report_id"] for e in got if e["type"] == "report.started") == sorted(ids)


async def test_cut_mid_run_then_reconnect_replays_to_the_final_state(
    live: tuple[Harness, str],
) -> None:
    h, address = live
    rid = await _submit(h)
    async with _ws(address, h, "ann") as ws:
        first = await _events(ws, until_seq=1)
        await _hook(h, runner_event(rid, "started"))
        seen = first + await _events(ws, until_seq=2)
    last = seen[-1]["seq"]
    await _hook(h, runner_event(rid, "progress", stage="extract", rows=5))
    await _hook(h, runner_event(rid, "succeeded", artifacts=[]))
    async with _ws(address, h, "ann", since=last) as ws:
        rest = await _events(ws, until_seq=4)
    assert [e["seq"] for e in seen + rest] == [1, 2, 3, 4]
    assert rest[-1]["status"] == "succeeded"


async def test_ping_gets_pong_and_first_message_auth(live: tuple[Harness, str]) -> None:
    h, address = live
    async with websockets.connect(f"ws://{address}/api/v1/ws") as ws:
        await ws.send(json.dumps({"type": "auth", "token": h.tokens["ann"]}))
        ready = json.loads(await ws.recv())
        await ws.send(json.dumps({"type": "ping"}))
        pong = json.loads(await ws.recv())
    assert ready == {"type": "ready", "seq": 0}
    assert pong["type"] == "pong"


@pytest.mark.parametrize(
    ("headers", "query", "status"),
    [
        ({"Authorization": "Bearer rf_bad"}, "", 401),
        ("bob", "&user=ann", 404),
        ("bob", "&user=nobody", 404),
    ],
)
async def test_handshake_refusals(
    live: tuple[Harness, str], headers: Any, query: str, status: int
) -> None:
    h, address = live
    if isinstance(headers, str):
        headers = {"Authorization": f"Bearer {h.tokens[headers]}"}
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            f"ws://{address}/api/v1/ws?since=0{query}", additional_headers=headers
        ):
            pass
    assert refused.value.response.status_code == status


async def test_bad_first_message_closes_with_4401(live: tuple[Harness, str]) -> None:
    _h, address = live
    async with websockets.connect(f"ws://{address}/api/v1/ws") as ws:
        await ws.send(json.dumps({"type": "auth", "token": "rf_wrong"}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
