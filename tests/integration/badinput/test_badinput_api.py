"""The requestor API under bad input, on SQLite and PostgreSQL.

Each row of a table is one mistake or attack against one endpoint, with the
status it must get and a word the error must say (the field or the reason).
Every row also checks the promise behind the status: never a 5xx, and not one
row, event or queue job written by a refused request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from badinput_kit import BODY_LIMIT, Requestor

pytestmark = pytest.mark.integration

SALES = {"report": "sales", "params": {"region": "north"}}
HUGE = BODY_LIMIT * 2


@dataclass(frozen=True)
class Case:
    """``url`` may hold ``{rid}``: a queued report of ann's, made for the case."""

    name: str
    method: str
    url: str
    status: int
    says: str
    user: str | None = "ann"
    kw: dict[str, Any] = field(default_factory=dict)


def _json(text: str) -> dict[str, Any]:
    return {"content": text.encode(), "headers": {"content-type": "application/json"}}


MALFORMED = [
    Case("submit: not JSON", "POST", "/api/v1/reports", 422, "json_invalid", kw=_json('{"re')),
    Case("submit: JSON array", "POST", "/api/v1/reports", 422, "body", kw={"json": [SALES]}),
    Case("submit: empty object", "POST", "/api/v1/reports", 422, "report", kw={"json": {}}),
    Case(
        "submit: report is a number",
        "POST",
        "/api/v1/reports",
        422,
        "report",
        kw={"json": {"report": 7}},
    ),
    Case(
        "submit: params is a list",
        "POST",
        "/api/v1/reports",
        422,
        "params",
        kw={"json": {"report": "sales", "params": ["north"]}},
    ),
    Case(
        "submit: formats is a string",
        "POST",
        "/api/v1/reports",
        422,
        "formats",
        kw={"json": {**SALES, "formats": "csv"}},
    ),
    Case(
        "submit: empty formats",
        "POST",
        "/api/v1/reports",
        422,
        "formats",
        kw={"json": {**SALES, "formats": []}},
    ),
    Case(
        "submit: unknown field",
        "POST",
        "/api/v1/reports",
        422,
        "colour",
        kw={"json": {**SALES, "colour": "red"}},
    ),
    Case(
        "submit: parameter of the wrong type",
        "POST",
        "/api/v1/reports",
        422,
        "year",
        kw={"json": {"report": "sales", "params": {"region": "north", "year": "soon"}}},
    ),
    Case(
        "submit: missing required parameter",
        "POST",
        "/api/v1/reports",
        422,
        "region",
        kw={"json": {"report": "sales"}},
    ),
    Case(
        "submit: NUL in a string parameter",
        "POST",
        "/api/v1/reports",
        422,
        "note",
        kw={"json": {"report": "sales", "params": {"region": "north", "note": "a\x00b"}}},
    ),
    Case(
        "submit: form-encoded body",
        "POST",
        "/api/v1/reports",
        422,
        "body",
        kw={"data": {"report": "sales"}},
    ),
    Case(
        "submit: Idempotency-Key too long",
        "POST",
        "/api/v1/reports",
        422,
        "idempotency-key",
        kw={"json": SALES, "headers": {"Idempotency-Key": "k" * 256}},
    ),
    Case("login: empty object", "POST", "/api/v1/session", 422, "username", None, {"json": {}}),
    Case(
        "login: password is a number",
        "POST",
        "/api/v1/session",
        422,
        "password",
        None,
        {"json": {"username": "cat", "password": 12345678}},
    ),
    Case(
        "login: NUL in the user name",
        "POST",
        "/api/v1/session",
        422,
        "username",
        None,
        {"json": {"username": "c\x00t", "password": "whatever1"}},
    ),
    Case("events: since < 0", "GET", "/api/v1/events?since=-1", 422, "since"),
    Case("events: since not a number", "GET", "/api/v1/events?since=soon", 422, "since"),
    Case("events: limit 0", "GET", "/api/v1/events?limit=0", 422, "limit"),
    Case("events: limit too large", "GET", "/api/v1/events?limit=100000", 422, "limit"),
    Case("reports: unknown status", "GET", "/api/v1/reports?status=lost", 422, "status"),
    Case("reports: limit 0", "GET", "/api/v1/reports?limit=0", 422, "limit"),
    Case("reports: cursor not ours", "GET", "/api/v1/reports?cursor=%25%25", 422, "cursor"),
    Case(
        "reports: NUL in the report filter", "GET", "/api/v1/reports?report=a%00b", 400, "'report'"
    ),
    Case("events: NUL in the user filter", "GET", "/api/v1/events?user=%00", 400, "'user'"),
    Case("report: NUL in the id", "GET", "/api/v1/reports/a%00b", 400, "URL path"),
    Case("cancel: NUL in the id", "POST", "/api/v1/reports/%00/cancel", 400, "URL path"),
    Case("report: unknown id", "GET", "/api/v1/reports/r_nope", 404, "no report"),
    Case("cancel: unknown id", "POST", "/api/v1/reports/r_nope/cancel", 404, "no report"),
    Case("retry: unknown id", "POST", "/api/v1/reports/r_nope/retry", 404, "no report"),
    Case("retry: report not failed", "POST", "/api/v1/reports/{rid}/retry", 409, "only failed"),
    Case("artifact: unknown name", "GET", "/api/v1/reports/{rid}/artifacts/x.csv", 404, "x.csv"),
    Case("preview: limit 0", "GET", "/api/v1/reports/{rid}/preview?limit=0", 422, "limit"),
    Case("catalog: unknown report", "GET", "/api/v1/catalog/salez", 404, "salez"),
    Case(
        "admin deliveries: limit 0", "GET", "/api/v1/admin/deliveries?limit=0", 422, "limit", "root"
    ),
    Case(
        "admin redeliver: unknown id",
        "POST",
        "/api/v1/admin/deliveries/msg_nope/redeliver",
        404,
        "msg_nope",
        "root",
    ),
]


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 65536 + 1):
        yield b" " * 65536


def _oversized(path: str, user: str | None = "ann", method: str = "POST") -> list[Case]:
    """An announced and a streamed (chunked, no length) body over the cap."""
    return [_announced(path, user, method), _streamed(path, user, method)]


def _announced(path: str, user: str | None = "ann", method: str = "POST") -> Case:
    body = b"{" + b" " * HUGE + b"}"
    headers = {"content-type": "application/json"}
    kw = {"content": body, "headers": headers}
    return Case(f"{method} {path}: announced", method, path, 413, "larger than", user, kw)


def _streamed(path: str, user: str | None = "ann", method: str = "POST") -> Case:
    kw = {"content": _chunks, "headers": {"content-type": "application/json"}}
    return Case(f"{method} {path}: chunked", method, path, 413, "larger than", user, kw)


OVERSIZED = [
    *_oversized("/api/v1/reports"),
    *_oversized("/api/v1/session", None),
    # These take no body: a length over the cap is refused; a chunked body is
    # never read (nothing is buffered), so it cannot cost memory (docs/bad-input.md).
    _announced("/api/v1/session", "ann", "DELETE"),
    _announced("/api/v1/reports/{rid}/cancel"),
    _announced("/api/v1/reports/{rid}/retry"),
    _announced("/api/v1/admin/deliveries/msg_x/redeliver", "root"),
    *_oversized("/hooks/runner", None),
    Case(
        "reports: report filter of 10 kB",
        "GET",
        "/api/v1/reports?report=" + "r" * 10_000,
        422,
        "report",
    ),
    Case("events: user filter of 10 kB", "GET", "/api/v1/events?user=" + "u" * 10_000, 422, "user"),
    Case(
        "submit: Idempotency-Key of 100 kB",
        "POST",
        "/api/v1/reports",
        422,
        "idempotency-key",
        kw={"json": SALES, "headers": {"Idempotency-Key": "k" * 100_000}},
    ),
    Case(
        "submit: report name of 10 kB",
        "POST",
        "/api/v1/reports",
        422,
        "report",
        kw={"json": {"report": "s" * 10_000}},
    ),
    Case(
        "submit: string parameter past its maximum",
        "POST",
        "/api/v1/reports",
        422,
        "note",
        kw={"json": {"report": "sales", "params": {"region": "north", "note": "n" * 5000}}},
    ),
    Case(
        "login: password of 10 kB",
        "POST",
        "/api/v1/session",
        422,
        "password",
        None,
        {"json": {"username": "cat", "password": "p" * 10_000}},
    ),
]

API_ENDPOINTS = [
    ("GET", "/api/v1/catalog"),
    ("GET", "/api/v1/catalog/sales"),
    ("GET", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("POST", "/api/v1/reports"),
    ("GET", "/api/v1/reports"),
    ("GET", "/api/v1/reports/{rid}"),
    ("POST", "/api/v1/reports/{rid}/cancel"),
    ("POST", "/api/v1/reports/{rid}/retry"),
    ("GET", "/api/v1/reports/{rid}/artifacts/sales.csv"),
    ("GET", "/api/v1/reports/{rid}/preview"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/admin/overview"),
    ("GET", "/api/v1/admin/deliveries"),
    ("POST", "/api/v1/admin/deliveries/msg_x/redeliver"),
]

UNAUTHORIZED = [
    *[
        Case(
            f"{m} {p}: no credentials", m, p, 401, "authentication required", None, {"json": SALES}
        )
        for m, p in API_ENDPOINTS
    ],
    *[
        Case(
            f"{m} {p}: unknown token",
            m,
            p,
            401,
            "invalid, expired or revoked",
            None,
            {"headers": {"Authorization": "Bearer rf_forged"}},
        )
        for m, p in API_ENDPOINTS
    ],
    Case(
        "basic instead of bearer",
        "GET",
        "/api/v1/reports",
        401,
        "Bearer <token>",
        None,
        {"headers": {"Authorization": "Basic YW5uOnB3"}},
    ),
    Case("another user's report", "GET", "/api/v1/reports/{rid}", 404, "no report", "bob"),
    Case(
        "cancel another's report", "POST", "/api/v1/reports/{rid}/cancel", 404, "no report", "bob"
    ),
    Case("retry another's report", "POST", "/api/v1/reports/{rid}/retry", 404, "no report", "bob"),
    Case("another's preview", "GET", "/api/v1/reports/{rid}/preview", 404, "no report", "bob"),
    Case(
        "another's artifact",
        "GET",
        "/api/v1/reports/{rid}/artifacts/sales.csv",
        404,
        "no report",
        "bob",
    ),
    Case("another's event log", "GET", "/api/v1/events?user=ann", 404, "no user", "bob"),
    Case("another's reports", "GET", "/api/v1/reports?user=ann", 404, "no user", "bob"),
    Case(
        "report outside the role",
        "POST",
        "/api/v1/reports",
        403,
        "may not",
        kw={"json": {"report": "payroll"}},
    ),
    Case("catalog entry outside the role", "GET", "/api/v1/catalog/payroll", 404, "payroll"),
    Case("admin overview for a user", "GET", "/api/v1/admin/overview", 404, "no such page"),
    Case("admin deliveries for a user", "GET", "/api/v1/admin/deliveries", 404, "no such page"),
    Case(
        "admin redeliver for a user",
        "POST",
        "/api/v1/admin/deliveries/msg_x/redeliver",
        404,
        "no such page",
    ),
    Case(
        "wrong password",
        "POST",
        "/api/v1/session",
        401,
        "wrong user name or password",
        None,
        {"json": {"username": "cat", "password": "guess-guess"}},
    ),
    Case(
        "unknown user",
        "POST",
        "/api/v1/session",
        401,
        "wrong user name or password",
        None,
        {"json": {"username": "nobody", "password": "guess-guess"}},
    ),
]


async def _check(rf: Requestor, case: Case) -> None:
    report_id = await rf.submit()
    before = await rf.counts()
    url = case.url.replace("{rid}", report_id)
    kw = dict(case.kw)
    if kw.get("content") is _chunks:  # a fresh stream for each run of the case
        kw["content"] = _chunks(HUGE)
    answer = await rf.call(case.user, case.method, url, **kw)
    assert answer.status_code == case.status, answer.text[:500]
    assert case.says.lower() in answer.text.lower(), answer.text[:500]
    if answer.headers.get("content-type", "").startswith("application/json"):
        assert "detail" in answer.json()
    assert await rf.counts() == before


@pytest.mark.parametrize("case", MALFORMED, ids=[c.name for c in MALFORMED])
async def test_malformed(rf: Requestor, case: Case) -> None:
    await _check(rf, case)


@pytest.mark.parametrize("case", OVERSIZED, ids=[c.name for c in OVERSIZED])
async def test_oversized(rf: Requestor, case: Case) -> None:
    await _check(rf, case)


@pytest.mark.parametrize("case", UNAUTHORIZED, ids=[c.name for c in UNAUTHORIZED])
async def test_unauthorized(rf_sqlite: Requestor, case: Case) -> None:
    await _check(rf_sqlite, case)


UNSAFE_SESSION_CALLS = [
    ("POST", "/api/v1/reports"),
    ("POST", "/api/v1/reports/{rid}/cancel"),
    ("POST", "/api/v1/reports/{rid}/retry"),
    ("DELETE", "/api/v1/session"),
]


@pytest.mark.parametrize("csrf", [None, "forged"], ids=["no CSRF token", "wrong CSRF token"])
async def test_session_calls_without_the_csrf_token_change_nothing(
    rf_sqlite: Requestor, csrf: str | None
) -> None:
    rf = rf_sqlite
    async with rf.client() as browser:
        await rf.login(browser, "cat")
        mine = await browser.post("/api/v1/reports", json=SALES, headers={"x-csrf-token": "x"})
        assert mine.status_code == 403
        before = await rf.counts()
        headers = {"x-csrf-token": csrf} if csrf else {}
        for method, path in UNSAFE_SESSION_CALLS:
            url = path.replace("{rid}", "r_any")
            answer = await browser.request(method, url, json=SALES, headers=headers)
            assert answer.status_code == 403, (method, path, answer.text)
            assert "CSRF" in answer.json()["detail"]
        assert await rf.counts() == before
        assert (await browser.get("/api/v1/session")).status_code == 200  # still logged in
