"""The runner webhook: idempotent application of events to the report lifecycle."""

from __future__ import annotations

import asyncio

from requestor_harness import Harness, runner_event

from reportflow.requestor import user_channel
from reportflow.store import users

SALES = {"report": "sales", "params": {"region": "north"}}


async def _submit(rf: Harness) -> str:
    async with rf.client("ann") as c:
        return str((await c.post("/api/v1/reports", json=SALES)).json()["id"])


async def _post(
    rf: Harness, body: dict[str, object], msg_id: str | None = None
) -> dict[str, object]:
    raw, headers = rf.hook(body, msg_id=msg_id)
    async with rf.client() as c:
        r = await c.post("/hooks/runner", content=raw, headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _log(rf: Harness) -> list[dict[str, object]]:
    async with rf.client("ann") as c:
        return list((await c.get("/api/v1/events")).json()["events"])


async def test_duplicate_deliveries_have_one_effect(rf: Harness) -> None:
    rid = await _submit(rf)
    event = runner_event(
        rid, "succeeded", artifacts=[{"name": "sales.csv", "key": f"{rid}/sales.csv", "size": 3}]
    )
    outcomes = await asyncio.gather(
        *(_post(rf, event, msg_id=f"msg_{rid}_1_succeeded") for _ in range(5))
    )
    assert sorted(str(o["outcome"]) for o in outcomes) == ["applied"] + ["duplicate"] * 4
    log = await _log(rf)
    assert [e["type"] for e in log] == ["report.queued", "report.started", "report.succeeded"]
    artifacts = log[2]["data"]["artifacts"]  # type: ignore[index]
    assert artifacts[0]["url"] == f"/api/v1/reports/{rid}/artifacts/sales.csv"
    assert "key" not in artifacts[0]


async def test_stale_events_never_overwrite_a_newer_state(rf: Harness) -> None:
    rid = await _submit(rf)
    steps = [
        (runner_event(rid, "started", attempt=1), "applied"),
        (runner_event(rid, "progress", attempt=1, stage="extract", rows=10), "applied"),
        (runner_event(rid, "failed", attempt=1, error="lease lost", will_retry=True), "applied"),
        (runner_event(rid, "progress", attempt=1, stage="render", rows=99), "stale"),
        (runner_event(rid, "started", attempt=2), "applied"),
        (runner_event(rid, "started", attempt=1), "stale"),
        (runner_event(rid, "succeeded", attempt=2, artifacts=[]), "applied"),
        (runner_event(rid, "failed", attempt=1, error="late"), "stale"),
        (runner_event(rid, "cancelled", attempt=3), "stale"),
    ]
    outcomes = [str((await _post(rf, body))["outcome"]) for body, _ in steps]
    assert outcomes == [want for _, want in steps]
    async with rf.client("ann") as c:
        report = (await c.get(f"/api/v1/reports/{rid}")).json()
    assert (report["status"], report["attempt"], report["error"]) == ("succeeded", 2, None)
    statuses = [e["status"] for e in await _log(rf)]
    assert statuses == ["queued", "running", "running", "queued", "running", "succeeded"]


async def test_events_for_unknown_reports_are_acknowledged_and_ignored(rf: Harness) -> None:
    outcome = await _post(rf, runner_event("nosuchreport", "started"))
    assert outcome["outcome"] == "unknown"


async def test_shape_errors_name_the_field(rf: Harness) -> None:
    rid = await _submit(rf)
    for body, status, says in [
        ({"type": "report.started", "data": {"job_id": rid}}, 422, "kind"),
        ({**runner_event(rid, "started"), "type": "report.succeeded"}, 422, "does not match"),
        (runner_event(rid, "exploded"), 422, "unknown event kind"),
    ]:
        raw, headers = rf.hook(body)
        async with rf.client() as c:
            r = await c.post("/hooks/runner", content=raw, headers=headers)
        assert r.status_code == status, r.text
        assert says in r.text, r.text


async def test_seq_is_gap_free_under_concurrent_webhooks(rf: Harness) -> None:
    ids = [await _submit(rf) for _ in range(6)]
    await asyncio.gather(*(_post(rf, runner_event(rid, "started")) for rid in ids))
    seqs = [int(e["seq"]) for e in await _log(rf)]  # type: ignore[call-overload]
    assert seqs == list(range(1, 13))


async def test_progress_that_overtakes_started_still_shows_started_once(rf: Harness) -> None:
    rid = await _submit(rf)
    async with rf.store.read() as db:
        ann = await users.require_user(db, "ann")
    async with rf.broadcast.subscribe(user_channel(ann.id), maxsize=16) as sub:
        first = await _post(rf, runner_event(rid, "progress", attempt=1, stage="extract", rows=5))
        late = await _post(rf, runner_event(rid, "started", attempt=1))
        async with asyncio.timeout(5):
            published = [(await sub.get())["type"] for _ in range(2)]
    assert (first["outcome"], late["outcome"]) == ("applied", "stale")
    assert published == ["report.started", "report.progress"]
    await _post(rf, runner_event(rid, "progress", attempt=1, stage="render", rows=9))
    await _post(rf, runner_event(rid, "succeeded", attempt=1, artifacts=[]))
    log = await _log(rf)
    assert [(e["type"], e["status"], e["attempt"]) for e in log] == [
        ("report.queued", "queued", 0),
        ("report.started", "running", 1),
        ("report.progress", "running", 1),
        ("report.progress", "running", 1),
        ("report.succeeded", "succeeded", 1),
    ]
    assert first["seq"] == log[2]["seq"]  # the receipt names the event's own entry
    async with rf.client("ann") as c:
        report = (await c.get(f"/api/v1/reports/{rid}")).json()
    assert report["started_at"] is not None


async def test_a_retry_whose_progress_comes_first_opens_the_new_attempt(rf: Harness) -> None:
    rid = await _submit(rf)
    await _post(rf, runner_event(rid, "started", attempt=1))
    await _post(rf, runner_event(rid, "failed", attempt=1, error="lease lost", will_retry=True))
    await _post(rf, runner_event(rid, "progress", attempt=2, stage="extract", rows=1))
    assert (await _post(rf, runner_event(rid, "started", attempt=2)))["outcome"] == "stale"
    types = [(e["type"], e["attempt"]) for e in await _log(rf)]
    assert types[-2:] == [("report.started", 2), ("report.progress", 2)]
    assert [t for t, _ in types].count("report.started") == 2


async def test_a_final_event_alone_logs_the_started_it_implies(rf: Harness) -> None:
    """A runner holding back the started of a short report sends only its final event."""
    rid = await _submit(rf)
    outcome = await _post(rf, runner_event(rid, "succeeded", artifacts=[]))
    assert outcome["outcome"] == "applied"
    log = await _log(rf)
    assert [(e["type"], e["status"]) for e in log] == [
        ("report.queued", "queued"),
        ("report.started", "running"),
        ("report.succeeded", "succeeded"),
    ]
