"""The web pages and the websocket channel under bad input.

Pages: no session is a redirect to the login page (never a page with data),
someone else's report is the 404 page, a login ``next`` never leaves the site.
The channel runs on a real uvicorn server: a wrong ``since`` or ``user`` and a
cross-origin page riding on the session cookie are refused at the handshake.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from badinput_kit import Requestor
from requestor_harness import live_server

pytestmark = pytest.mark.integration

PAGES = ["/catalog", "/catalog/sales", "/reports", "/reports/r_any", "/admin"]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_without_a_session_redirect_to_login(rf_sqlite: Requestor, path: str) -> None:
    answer = await rf_sqlite.call(None, "GET", path, headers={"accept": "text/html"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={path}"


@pytest.mark.parametrize(
    "path", ["/reports/{rid}", "/reports/r_nope", "/catalog/payroll", "/catalog/salez", "/admin"]
)
async def test_what_the_viewer_may_not_see_is_the_404_page(rf_sqlite: Requestor, path: str) -> None:
    rf = rf_sqlite
    report_id = await rf.submit("bob")
    async with rf.client() as browser:
        await rf.login(browser, "cat")
        answer = await browser.get(
            path.replace("{rid}", report_id), headers={"accept": "text/html"}
        )
    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]
    assert report_id not in answer.text


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "catalog"]
)
async def test_login_next_never_leaves_the_site(rf_sqlite: Requestor, target: str) -> None:
    rf = rf_sqlite
    async with rf.client() as browser:
        await rf.login(browser, "cat")
        answer = await browser.get("/login", params={"next": target})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/catalog"


async def test_a_page_path_holding_nul_is_400(rf_sqlite: Requestor) -> None:
    answer = await rf_sqlite.call(None, "GET", "/reports/%00", headers={"accept": "text/html"})
    assert answer.status_code == 400
    assert "NUL" in answer.json()["detail"]


async def next_reply(ws: websockets.ClientConnection) -> dict[str, object]:
    """The next message that answers the client (the channel opens with ``ready``)."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message.get("type") != "ready":
            return dict(message)


@pytest.mark.parametrize(
    ("query", "status"),
    [("since=-1", 400), ("since=soon", 403), ("user=root", 404), ("user=%00", 403)],
    ids=["since < 0", "since not a number", "another user's channel", "NUL in user"],
)
async def test_channel_handshake_refusals(rf_sqlite: Requestor, query: str, status: int) -> None:
    rf = rf_sqlite
    auth = {"Authorization": f"Bearer {rf.tokens['ann']}"}
    async with live_server(rf.app) as address:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(
                f"ws://{address}/api/v1/ws?{query}", additional_headers=auth
            ):
                pass
    assert refused.value.response.status_code == status


async def test_a_cross_origin_page_cannot_ride_the_session_cookie(rf_sqlite: Requestor) -> None:
    rf = rf_sqlite
    async with rf.client() as browser:
        await rf.login(browser, "cat")
        cookie = f"rf_session={browser.cookies['rf_session']}"
    async with live_server(rf.app) as address:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(
                f"ws://{address}/api/v1/ws",
                additional_headers={"Cookie": cookie},
                origin=websockets.Origin("http://evil.example"),
            ):
                pass
        assert refused.value.response.status_code == 403
        async with websockets.connect(
            f"ws://{address}/api/v1/ws", additional_headers={"Cookie": cookie}
        ) as same_site:
            await same_site.send(json.dumps({"type": "ping"}))
            assert (await next_reply(same_site))["type"] == "pong"


async def test_a_garbage_message_on_the_channel_is_no_crash(rf_sqlite: Requestor) -> None:
    rf = rf_sqlite
    auth = {"Authorization": f"Bearer {rf.tokens['ann']}"}
    async with live_server(rf.app) as address:
        async with websockets.connect(f"ws://{address}/api/v1/ws", additional_headers=auth) as ws:
            await ws.send("{not json")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await next_reply(ws)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4400
        assert "JSON" in closed.value.rcvd.reason
        # The server still serves others after it.
        async with websockets.connect(
            f"ws://{address}/api/v1/ws", additional_headers=auth
        ) as again:
            await again.send(json.dumps({"type": "ping"}))
            assert (await next_reply(again))["type"] == "pong"
