"""Replayed input has one effect, and a refused webhook leaves its id unused.

On SQLite and PostgreSQL: a repeated Idempotency-Key, a repeated webhook id,
a runner event re-sent under a new id, a double cancel or retry. The counts
of rows, events and queue jobs are the proof.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from badinput_kit import Requestor
from requestor_harness import runner_event

pytestmark = pytest.mark.integration

SALES = {"report": "sales", "params": {"region": "north"}}


async def _post_hook(rf: Requestor, body: dict[str, Any] | bytes, **sign: Any) -> Any:
    raw, headers = rf.hook(body, **sign)
    return await rf.call(None, "POST", "/hooks/runner", content=raw, headers=headers)


async def _fail(rf: Requestor, report_id: str) -> None:
    event = runner_event(report_id, "failed", error="source down", will_retry=False)
    answer = await _post_hook(rf, event)
    assert answer.json()["outcome"] == "applied", answer.text


async def test_a_repeated_idempotency_key_makes_one_report(rf: Requestor) -> None:
    before = await rf.counts()
    key = {"Idempotency-Key": "order-42"}
    first = await rf.call("ann", "POST", "/api/v1/reports", json=SALES, headers=key)
    again = await rf.call("ann", "POST", "/api/v1/reports", json=SALES, headers=key)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    after = await rf.counts()
    assert (after.reports, after.events, after.jobs) == (
        before.reports + 1,
        before.events + 1,
        before.jobs + 1,
    )


async def test_a_reused_key_with_another_body_is_refused_and_writes_nothing(
    rf: Requestor,
) -> None:
    key = {"Idempotency-Key": "order-43"}
    await rf.call("ann", "POST", "/api/v1/reports", json=SALES, headers=key)
    before = await rf.counts()
    other = {"report": "sales", "params": {"region": "south"}}
    answer = await rf.call("ann", "POST", "/api/v1/reports", json=other, headers=key)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await rf.counts() == before


async def test_the_same_key_of_two_users_is_two_reports(rf: Requestor) -> None:
    key = {"Idempotency-Key": "shared"}
    ann = await rf.call("ann", "POST", "/api/v1/reports", json=SALES, headers=key)
    bob = await rf.call("bob", "POST", "/api/v1/reports", json=SALES, headers=key)
    assert (ann.status_code, bob.status_code) == (202, 202)
    assert ann.json()["id"] != bob.json()["id"]


async def test_a_repeated_webhook_id_has_one_effect(rf: Requestor) -> None:
    report_id = await rf.submit()
    event = runner_event(report_id, "started")
    first = await _post_hook(rf, event, msg_id="msg_once")
    before = await rf.counts()
    again = await _post_hook(rf, event, msg_id="msg_once")
    assert (first.json()["outcome"], again.json()["outcome"]) == ("applied", "duplicate")
    assert again.status_code == 200  # the runner's outbox may stop retrying
    assert await rf.counts() == before


async def test_an_event_resent_under_a_new_id_changes_nothing(rf: Requestor) -> None:
    report_id = await rf.submit()
    event = runner_event(report_id, "succeeded", rows=3)
    assert (await _post_hook(rf, event)).json()["outcome"] == "applied"
    before = await rf.counts()
    again = await _post_hook(rf, event)
    assert again.json()["outcome"] == "stale"
    after = await rf.counts()
    assert dataclasses.replace(after, receipts=before.receipts) == before
    shown = await rf.call("ann", "GET", f"/api/v1/reports/{report_id}")
    assert shown.json()["status"] == "succeeded"


@pytest.mark.parametrize(
    ("spoil", "status"),
    [
        ({"secret": "whsec_" + "A" * 32}, 401),
        ({"timestamp": int(time.time()) - 3600}, 401),
        ({"body": b"{not json"}, 400),
        ({"body": {"type": "report.started", "data": {"kind": "started"}}}, 422),
    ],
    ids=["forged signature", "stale timestamp", "not JSON", "wrong shape"],
)
async def test_a_refused_webhook_leaves_its_id_for_the_real_delivery(
    rf: Requestor, spoil: dict[str, Any], status: int
) -> None:
    report_id = await rf.submit()
    good = runner_event(report_id, "started")
    before = await rf.counts()
    sign = dict(spoil)
    body = sign.pop("body", good)
    refused = await _post_hook(rf, body, msg_id="msg_retry_me", **sign)
    assert refused.status_code == status, refused.text
    assert await rf.counts() == before
    real = await _post_hook(rf, good, msg_id="msg_retry_me")
    assert real.json()["outcome"] == "applied", real.text


async def test_a_failure_message_holding_nul_still_lands(rf: Requestor) -> None:
    report_id = await rf.submit()
    event = runner_event(report_id, "failed", error="bad byte \x00 in row 7", will_retry=False)
    answer = await _post_hook(rf, event)
    assert (answer.status_code, answer.json()["outcome"]) == (200, "applied"), answer.text
    shown = (await rf.call("ann", "GET", f"/api/v1/reports/{report_id}")).json()
    assert shown["status"] == "failed"
    assert shown["error"] == "bad byte \ufffd in row 7"


async def test_a_second_cancel_is_409_and_logs_nothing(rf: Requestor) -> None:
    report_id = await rf.submit()
    url = f"/api/v1/reports/{report_id}/cancel"
    assert (await rf.call("ann", "POST", url)).status_code == 202
    before = await rf.counts()
    again = await rf.call("ann", "POST", url)
    assert again.status_code == 409
    assert "already cancelled" in again.json()["detail"]
    assert await rf.counts() == before


async def test_a_double_retry_makes_one_new_report(rf: Requestor) -> None:
    report_id = await rf.submit()
    await _fail(rf, report_id)
    url = f"/api/v1/reports/{report_id}/retry"
    first = await rf.call("ann", "POST", url)
    before = await rf.counts()
    again = await rf.call("ann", "POST", url)
    assert first.status_code == 202, first.text
    assert again.status_code in (200, 202), again.text
    assert again.json()["id"] == first.json()["id"]
    assert await rf.counts() == before


async def test_a_second_logout_is_401(rf_sqlite: Requestor) -> None:
    rf = rf_sqlite
    async with rf.client() as browser:
        csrf = await rf.login(browser, "cat")
        sessions = (await rf.counts()).sessions
        out = await browser.delete("/api/v1/session", headers={"x-csrf-token": csrf})
        assert out.status_code == 204
        assert (await rf.counts()).sessions == sessions - 1
        # The browser dropped the cookie; a replay of the old request carries it again.
        browser.cookies.clear()
    async with rf.client() as replay:
        replay.cookies.set("rf_session", "the-old-session-id")
        again = await replay.delete("/api/v1/session", headers={"x-csrf-token": csrf})
        assert again.status_code == 401
