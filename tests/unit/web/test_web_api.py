"""The endpoints the pages add: result preview and the admin views."""

from __future__ import annotations

import time

import pytest
from web_harness import Web

from reportflow.webhooks import DeliveryAttempt, MessageState, Outbox, Outcome

CSV = 'month,machine,mtbf\n2025-01,A,10.5\n2025-02,A,"1,5"\n2025-03,A,12\n'


async def _succeeded(web: Web, user: str, blob: bytes, fmt: str = "csv") -> str:
    async with web.client(user) as client:
        answer = await client.post(
            "/api/v1/reports", json={"report": "everything", "params": {"day": "2026-01-01"}}
        )
        assert answer.status_code == 202, answer.text
        report_id = answer.json()["id"]
        key = f"{report_id}/out.{fmt}"
        web.artifacts.blobs[key] = blob
        await web.hook(client, report_id, "started")
        artifact = {"name": f"out.{fmt}", "format": fmt, "key": key, "rows": 3, "size": len(blob)}
        await web.hook(client, report_id, "succeeded", artifacts=[artifact], rows=3)
    return report_id


async def test_preview_reads_the_first_rows_of_the_csv(web: Web) -> None:
    report_id = await _succeeded(web, "ann", CSV.encode())
    async with web.client("ann") as ann:
        answer = await ann.get(f"/api/v1/reports/{report_id}/preview?limit=2")
    assert answer.status_code == 200
    body = answer.json()
    assert body["columns"] == ["month", "machine", "mtbf"]
    assert body["rows"] == [["2025-01", "A", "10.5"], ["2025-02", "A", "1,5"]]
    assert (body["truncated"], body["total_rows"], body["format"]) == (True, 3, "csv")


async def test_preview_of_json_lines(web: Web) -> None:
    lines = b'{"a": 1, "b": "x"}\n{"a": 2, "c": true}\n'
    report_id = await _succeeded(web, "ann", lines, fmt="json")
    async with web.client("ann") as ann:
        body = (await ann.get(f"/api/v1/reports/{report_id}/preview")).json()
    assert body["columns"] == ["a", "b", "c"]
    assert body["rows"] == [[1, "x", None], [2, None, True]]


async def test_preview_is_only_for_the_owner_and_admins(web: Web) -> None:
    report_id = await _succeeded(web, "ann", CSV.encode())
    async with web.client("bob") as bob:
        assert (await bob.get(f"/api/v1/reports/{report_id}/preview")).status_code == 404
    async with web.client("root") as root:
        assert (await root.get(f"/api/v1/reports/{report_id}/preview")).status_code == 200


async def test_preview_before_the_report_finished_is_empty(web: Web) -> None:
    async with web.client("ann") as ann:
        made = await ann.post(
            "/api/v1/reports", json={"report": "everything", "params": {"day": "2026-01-01"}}
        )
        body = (await ann.get(f"/api/v1/reports/{made.json()['id']}/preview")).json()
    assert (body["format"], body["rows"]) == (None, [])


async def test_overview_counts_the_queue(web: Web) -> None:
    await _succeeded(web, "ann", CSV.encode())
    async with web.client("ann") as ann:
        await ann.post(
            "/api/v1/reports", json={"report": "everything", "params": {"day": "2026-01-02"}}
        )
    async with web.client("root") as root:
        body = (await root.get("/api/v1/admin/overview")).json()
    assert body["queue"]["depth"]["queued"] >= 1
    assert body["runners"] == [] or all("busy" in r for r in body["runners"])


@pytest.mark.parametrize("path", ["/api/v1/admin/deliveries", "/api/v1/admin/overview"])
async def test_admin_endpoints_hide_from_users(web: Web, path: str) -> None:
    async with web.client("ann") as ann:
        assert (await ann.get(path)).status_code == 404


async def test_deliveries_list_and_redeliver(web: Web) -> None:
    outbox = Outbox(web.store.engine)
    await outbox.create_tables()
    await outbox.add("requestor", "msg_1", {"type": "report.failed", "data": {"job_id": "r1"}})
    attempt = DeliveryAttempt(
        "msg_1", "requestor", Outcome.RETRY, time.time(), 0.01, status=503, error="unavailable"
    )
    await outbox.record(attempt, state=MessageState.DEAD, next_attempt_at=None)
    async with web.client("root") as root:
        listed = (await root.get("/api/v1/admin/deliveries")).json()["deliveries"]
        again = await root.post("/api/v1/admin/deliveries/msg_1/redeliver")
        missing = await root.post("/api/v1/admin/deliveries/nope/redeliver")
        no_csrf = await root.post(
            "/api/v1/admin/deliveries/msg_1/redeliver", headers={"X-CSRF-Token": "wrong"}
        )
    assert [(d["id"], d["report_id"], d["state"]) for d in listed] == [("msg_1", "r1", "dead")]
    assert again.status_code == 200
    assert again.json()["state"] == "pending"
    assert missing.status_code == 404
    assert "nope" in missing.json()["detail"]
    assert no_csrf.status_code == 403
