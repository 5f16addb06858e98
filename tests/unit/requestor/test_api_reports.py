"""Submitting, listing, cancelling and retrying reports through the API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from requestor_harness import Harness, runner_event

from reportflow.queue import JobState


async def test_submit_queues_a_job_and_logs_an_event(rf: Harness) -> None:
    async with rf.client("ann") as c:
        r = await c.post("/api/v1/reports", json={"report": "sales", "params": {"region": "north"}})
        assert r.status_code == 202, r.text
        body = r.json()
        assert body["status"] == "queued"
        assert body["params"] == {"region": "north", "year": 2026, "since": None}
        assert body["formats"] == ["csv", "json"]
        assert r.headers["location"] == f"/api/v1/reports/{body['id']}"
        job = await rf.queue.get(body["id"])
        assert job is not None
        assert job.state is JobState.QUEUED
        assert job.meta["user"] == "ann"
        events = (await c.get("/api/v1/events")).json()["events"]
        assert [e["type"] for e in events] == ["report.queued"]
        assert events[0]["report_id"] == body["id"]


async def test_idempotency_key_returns_the_in_flight_twin(rf: Harness) -> None:
    request = {"report": "sales", "params": {"region": "south"}}
    async with rf.client("ann") as c:
        first = await c.post("/api/v1/reports", json=request, headers={"Idempotency-Key": "k1"})
        again = await c.post("/api/v1/reports", json=request, headers={"Idempotency-Key": "k1"})
        other = await c.post(
            "/api/v1/reports",
            json={"report": "sales", "params": {"region": "north"}},
            headers={"Idempotency-Key": "k1"},
        )
        listed = (await c.get("/api/v1/reports")).json()["reports"]
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 422
    assert "Idempotency-Key" in other.text
    assert len(listed) == 1


async def test_concurrent_idempotent_submissions_make_one_report(rf: Harness) -> None:
    request = {"report": "sales", "params": {"region": "south"}}
    async with rf.client("ann") as c:
        answers = await asyncio.gather(
            *(
                c.post("/api/v1/reports", json=request, headers={"Idempotency-Key": "same"})
                for _ in range(5)
            )
        )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 202]
    assert len({a.json()["id"] for a in answers}) == 1


async def test_key_is_free_again_once_the_report_is_final(rf: Harness) -> None:
    request = {"report": "sales", "params": {"region": "south"}}
    async with rf.client("ann") as c:
        first = (
            await c.post("/api/v1/reports", json=request, headers={"Idempotency-Key": "k"})
        ).json()
        assert (await c.post(f"/api/v1/reports/{first['id']}/cancel")).json()[
            "status"
        ] == "cancelled"
        second = await c.post("/api/v1/reports", json=request, headers={"Idempotency-Key": "k"})
    assert second.status_code == 202
    assert second.json()["id"] != first["id"]


async def test_list_filters_and_paginates_with_a_cursor(rf: Harness) -> None:
    async with rf.client("ann") as c:
        ids = []
        for region in ["north", "south", "north", "south", "north"]:
            r = await c.post(
                "/api/v1/reports", json={"report": "sales", "params": {"region": region}}
            )
            ids.append(r.json()["id"])
        await c.post(f"/api/v1/reports/{ids[0]}/cancel")
        seen: list[str] = []
        cursor = None
        for _ in range(10):
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await c.get("/api/v1/reports", params=params)).json()
            seen += [r["id"] for r in page["reports"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        cancelled = (await c.get("/api/v1/reports", params={"status": "cancelled"})).json()
        queued = (
            await c.get("/api/v1/reports", params={"status": "queued", "report": "sales"})
        ).json()
    assert seen == list(reversed(ids))
    assert [r["id"] for r in cancelled["reports"]] == [ids[0]]
    assert len(queued["reports"]) == 4


async def test_cancel_of_a_running_report_asks_the_runner(rf: Harness) -> None:
    async with rf.client("ann") as c:
        report = (
            await c.post("/api/v1/reports", json={"report": "sales", "params": {"region": "north"}})
        ).json()
        [job] = await rf.queue.claim("w1")
        body, headers = rf.hook(runner_event(report["id"], "started", attempt=job.attempts))
        assert (await c.post("/hooks/runner", content=body, headers=headers)).status_code == 200
        r = await c.post(f"/api/v1/reports/{report['id']}/cancel")
        assert r.status_code == 202
        assert r.json()["status"] == "running"
        assert (await rf.queue.heartbeat("w1", [job.id])) == {job.id: True}
        body, headers = rf.hook(runner_event(report["id"], "cancelled", attempt=job.attempts))
        await c.post("/hooks/runner", content=body, headers=headers)
        final = (await c.get(f"/api/v1/reports/{report['id']}")).json()
        again = await c.post(f"/api/v1/reports/{report['id']}/cancel")
    assert final["status"] == "cancelled"
    assert again.status_code == 409


async def test_retry_makes_a_new_report_linked_to_the_old(rf: Harness) -> None:
    async with rf.client("ann") as c:
        report = (
            await c.post("/api/v1/reports", json={"report": "sales", "params": {"region": "north"}})
        ).json()
        early = await c.post(f"/api/v1/reports/{report['id']}/retry")
        body, headers = rf.hook(
            runner_event(report["id"], "failed", error="source down", will_retry=False)
        )
        await c.post("/hooks/runner", content=body, headers=headers)
        failed = (await c.get(f"/api/v1/reports/{report['id']}")).json()
        retried = await c.post(f"/api/v1/reports/{report['id']}/retry")
    assert early.status_code == 409
    assert failed["status"] == "failed"
    assert failed["error"] == "source down"
    assert retried.status_code == 202
    assert retried.json()["retry_of"] == report["id"]
    assert retried.json()["params"] == report["params"]


async def _submissions(tmp_path: Path, count: int, **limits: int) -> list[httpx.Response]:
    """``count`` submissions of one user, one after the other, under ``limits``."""
    from requestor_harness import harness

    async with harness(tmp_path, **limits) as h:
        await h.add_user("ann")
        async with h.client("ann") as c:
            body = {"report": "sales", "params": {"region": "north"}}
            return [await c.post("/api/v1/reports", json=body) for _ in range(count)]


async def test_rate_limits_answer_429_with_retry_after(tmp_path: Path) -> None:
    codes = await _submissions(tmp_path, 3, submissions_per_minute=100, max_in_flight=2)
    assert [r.status_code for r in codes] == [202, 202, 429]
    assert int(codes[2].headers["retry-after"]) > 0
    assert "in flight" in codes[2].json()["detail"]


async def test_submissions_per_minute(tmp_path: Path) -> None:
    codes = await _submissions(tmp_path, 3, submissions_per_minute=2, max_in_flight=100)
    assert [r.status_code for r in codes] == [202, 202, 429]
    assert 1 <= int(codes[2].headers["retry-after"]) <= 60


async def test_limits_of_zero_are_off(tmp_path: Path) -> None:
    codes = await _submissions(tmp_path, 40, submissions_per_minute=0, max_in_flight=0)
    # past both defaults (30 a minute, 20 in flight)
    assert [r.status_code for r in codes] == [202] * 40


async def test_a_full_window_names_the_limit(tmp_path: Path) -> None:
    codes = await _submissions(tmp_path, 4, submissions_per_minute=3, max_in_flight=0)
    assert [r.status_code for r in codes] == [202, 202, 202, 429]
    assert codes[3].json()["detail"] == (
        "user 'ann' submitted 3 reports in the last minute (the limit)"
    )
    assert 59 <= int(codes[3].headers["retry-after"]) <= 60


async def test_artifact_download_streams_the_stored_bytes(rf: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with rf.client("ann") as c:
        report = (
            await c.post("/api/v1/reports", json={"report": "sales", "params": {"region": "north"}})
        ).json()
        staged = rf.artifacts.staging_dir() / "sales.csv"
        staged.write_bytes(b"region,total\nnorth,42\n")
        artifact = await rf.artifacts.put_file(
            f"{report['id']}/sales.csv",
            staged,
            name="sales.csv",
            format="csv",
            content_type="text/csv",
            rows=1,
        )
        body, headers = rf.hook(
            runner_event(report["id"], "succeeded", artifacts=[artifact.to_dict()])
        )
        await c.post("/hooks/runner", content=body, headers=headers)
        shown = (await c.get(f"/api/v1/reports/{report['id']}")).json()
        download = await c.get(shown["artifacts"][0]["url"])
        missing = await c.get(f"/api/v1/reports/{report['id']}/artifacts/other.csv")
    assert download.status_code == 200
    assert download.content == b"region,total\nnorth,42\n"
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    assert "location" not in shown["artifacts"][0]
    assert missing.status_code == 404


async def test_admins_see_who_owns_each_report(rf: Harness) -> None:
    ids = {}
    for user in ("ann", "bob"):
        async with rf.client(user) as c:
            r = await c.post(
                "/api/v1/reports", json={"report": "sales", "params": {"region": "north"}}
            )
            assert r.json()["owner"] == user
            ids[user] = r.json()["id"]
    async with rf.client("root") as c:
        listed = (await c.get("/api/v1/reports", params={"all_users": "true"})).json()["reports"]
        one = (await c.get(f"/api/v1/reports/{ids['bob']}")).json()
    assert {r["id"]: r["owner"] for r in listed} == {ids["ann"]: "ann", ids["bob"]: "bob"}
    assert one["owner"] == "bob"
    async with rf.client("ann") as c:
        mine = (await c.get("/api/v1/reports")).json()["reports"]
    assert [(r["id"], r["owner"]) for r in mine] == [(ids["ann"], "ann")]
