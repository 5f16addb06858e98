"""Security and bad input, table-driven: each row is one attack or mistake and
the exact status (and culprit named in the message) the API must answer."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from requestor_harness import PASSWORD, Harness, runner_event

from reportflow.requestor.auth import digest, hash_password
from reportflow.store import users

SALES = {"report": "sales", "params": {"region": "north"}}


@dataclass(frozen=True)
class Case:
    name: str
    call: Callable[[Harness, str], Awaitable[httpx.Response]]
    status: int
    says: str


async def _ann_report(rf: Harness) -> str:
    async with rf.client("ann") as c:
        r = await c.post("/api/v1/reports", json=SALES)
        return str(r.json()["id"])


async def _as(rf: Harness, user: str | None, method: str, url: str, **kw: object) -> httpx.Response:
    async with rf.client(user) as c:
        return await c.request(method, url, **kw)  # type: ignore[arg-type]


async def _hook(rf: Harness, report_id: str, **sign: object) -> httpx.Response:
    body, headers = rf.hook(runner_event(report_id, "started"), **sign)  # type: ignore[arg-type]
    return await _as(rf, None, "POST", "/hooks/runner", content=body, headers=headers)


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 65536 + 1):
        yield b" " * 65536


async def _expired_session(rf: Harness, _rid: str) -> httpx.Response:
    async with rf.store.transaction() as db:
        user = await users.get_user_by_name(db, "ann")
        assert user is not None
        await users.create_session(db, user.id, digest("old-session"), expires_at=time.time() - 1)
    async with rf.client() as c:
        c.cookies.set("rf_session", "old-session")
        return await c.get("/api/v1/reports")


async def _no_csrf(rf: Harness, _rid: str) -> httpx.Response:
    async with rf.store.transaction() as db:
        await users.set_password_hash(
            db, (await users.require_user(db, "bob")).id, hash_password(PASSWORD)
        )
    async with rf.client() as c:
        login = await c.post("/api/v1/session", json={"username": "bob", "password": PASSWORD})
        assert login.status_code == 200
        return await c.post("/api/v1/reports", json=SALES)


CASES = [
    Case(
        "another user's report",
        lambda rf, rid: _as(rf, "bob", "GET", f"/api/v1/reports/{rid}"),
        404,
        "no report",
    ),
    Case(
        "another user's artifact",
        lambda rf, rid: _as(rf, "bob", "GET", f"/api/v1/reports/{rid}/artifacts/sales.csv"),
        404,
        "no report",
    ),
    Case(
        "cancel another user's report",
        lambda rf, rid: _as(rf, "bob", "POST", f"/api/v1/reports/{rid}/cancel"),
        404,
        "no report",
    ),
    Case(
        "another user's event log",
        lambda rf, rid: _as(rf, "bob", "GET", "/api/v1/events?user=ann"),
        404,
        "no user",
    ),
    Case(
        "forged signature",
        lambda rf, rid: _hook(rf, rid, secret="whsec_" + "A" * 32),
        401,
        "no signature matches",
    ),
    Case(
        "timestamp outside tolerance",
        lambda rf, rid: _hook(rf, rid, timestamp=int(time.time()) - 3600),
        401,
        "s old",
    ),
    Case(
        "unsigned webhook",
        lambda rf, rid: _as(
            rf, None, "POST", "/hooks/runner", content=json.dumps(runner_event(rid, "started"))
        ),
        401,
        "missing webhook-id",
    ),
    Case(
        "oversized body (announced)",
        lambda rf, rid: _as(
            rf, "ann", "POST", "/api/v1/reports", content=b"{" + b" " * (2 << 20) + b"}"
        ),
        413,
        "larger than",
    ),
    Case(
        "oversized body (chunked, no length)",
        lambda rf, rid: _as(rf, "ann", "POST", "/api/v1/reports", content=_chunks(2 << 20)),
        413,
        "larger than",
    ),
    Case(
        "oversized webhook",
        lambda rf, rid: _as(rf, None, "POST", "/hooks/runner", content=_chunks(2 << 20)),
        413,
        "larger than",
    ),
    Case(
        "malformed JSON",
        lambda rf, rid: _as(
            rf,
            "ann",
            "POST",
            "/api/v1/reports",
            content=b'{"report": ',
            headers={"content-type": "application/json"},
        ),
        422,
        "json_invalid",
    ),
    Case(
        "malformed webhook JSON",
        lambda rf, rid: (lambda b, h: _as(rf, None, "POST", "/hooks/runner", content=b, headers=h))(
            *rf.hook(b"{nope")
        ),
        400,
        "not JSON",
    ),
    Case(
        "unknown report",
        lambda rf, rid: _as(rf, "ann", "POST", "/api/v1/reports", json={"report": "salez"}),
        422,
        "did you mean sales",
    ),
    Case(
        "invalid parameters",
        lambda rf, rid: _as(
            rf,
            "ann",
            "POST",
            "/api/v1/reports",
            json={"report": "sales", "params": {"region": "west", "year": 1900, "colour": 1}},
        ),
        422,
        "colour",
    ),
    Case(
        "unknown format",
        lambda rf, rid: _as(
            rf, "ann", "POST", "/api/v1/reports", json={**SALES, "formats": ["pdf"]}
        ),
        422,
        "not pdf",
    ),
    Case(
        "report not allowed for the role",
        lambda rf, rid: _as(rf, "ann", "POST", "/api/v1/reports", json={"report": "payroll"}),
        403,
        "may not request",
    ),
    Case("missing CSRF token", _no_csrf, 403, "CSRF"),
    Case(
        "bad token",
        lambda rf, rid: _as(
            rf, None, "GET", "/api/v1/reports", headers={"Authorization": "Bearer rf_nope"}
        ),
        401,
        "invalid",
    ),
    Case(
        "no credentials",
        lambda rf, rid: _as(rf, None, "GET", "/api/v1/reports"),
        401,
        "authentication required",
    ),
    Case("expired session", _expired_session, 401, "session expired"),
    Case(
        "wrong password",
        lambda rf, rid: _as(
            rf, None, "POST", "/api/v1/session", json={"username": "ann", "password": "guess1234"}
        ),
        401,
        "wrong user name or password",
    ),
    Case(
        "bad cursor",
        lambda rf, rid: _as(rf, "ann", "GET", "/api/v1/reports?cursor=%%%"),
        422,
        "cursor",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_rejected(rf: Harness, case: Case) -> None:
    report_id = await _ann_report(rf)
    response = await case.call(rf, report_id)
    assert response.status_code == case.status, response.text
    assert case.says in response.text, response.text


async def test_invalid_parameters_name_every_field(rf: Harness) -> None:
    bad = {"report": "sales", "params": {"region": "west", "year": 1900, "colour": 1}}
    response = await _as(rf, "ann", "POST", "/api/v1/reports", json=bad)
    assert response.status_code == 422
    messages = {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}
    assert messages == {
        ("body", "params", "region"): "must be one of: north, south (got 'west')",
        ("body", "params", "year"): "must be at least 2000 (got 1900)",
        ("body", "params", "colour"): "unknown parameter (expected: region, since, year)",
    }


async def test_admin_sees_every_report(rf: Harness) -> None:
    report_id = await _ann_report(rf)
    assert (await _as(rf, "root", "GET", f"/api/v1/reports/{report_id}")).status_code == 200
    log = await _as(rf, "root", "GET", "/api/v1/events?user=ann")
    assert [e["report_id"] for e in log.json()["events"]] == [report_id]


async def test_rejected_requests_write_nothing(rf: Harness) -> None:
    await _as(
        rf, "ann", "POST", "/api/v1/reports", json={"report": "sales", "params": {"region": "west"}}
    )
    await _as(rf, "ann", "POST", "/api/v1/reports", content=b"{" + b" " * (2 << 20) + b"}")
    listed = await _as(rf, "ann", "GET", "/api/v1/reports")
    assert listed.json()["reports"] == []
    assert (await rf.queue.stats()).depth
    assert sum((await rf.queue.stats()).depth.values()) == 0
