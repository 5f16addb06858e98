"""The store and the transactional enqueue on a real PostgreSQL database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from requestor_harness import harness, runner_event

from reportflow.queue import JobState
from reportflow.store import Store

pytestmark = pytest.mark.integration

SALES = {"report": "sales", "params": {"region": "north"}}


async def test_report_row_and_job_commit_together(postgres_url: str, tmp_path: Path) -> None:
    async with harness(tmp_path, store_url=postgres_url, queue_url=postgres_url) as h:
        assert h.app.state.services.enqueue_in_transaction
        await h.add_user("ann")
        async with h.client("ann") as c:
            ok = await c.post("/api/v1/reports", json=SALES)
            bad = await c.post("/api/v1/reports", json={"report": "sales", "params": {}})
        assert ok.status_code == 202
        assert bad.status_code == 422
        job = await h.queue.get(ok.json()["id"])
        assert job is not None
        assert job.state is JobState.QUEUED
        assert sum((await h.queue.stats()).depth.values()) == 1


async def test_concurrent_webhooks_keep_seq_gap_free(postgres_url: str, tmp_path: Path) -> None:
    async with harness(tmp_path, store_url=postgres_url, queue_url=postgres_url) as h:
        await h.add_user("ann")
        async with h.client("ann") as c:
            ids = [(await c.post("/api/v1/reports", json=SALES)).json()["id"] for _ in range(8)]

        async def post(rid: str, msg_id: str) -> int:
            raw, headers = h.hook(runner_event(rid, "succeeded", artifacts=[]), msg_id=msg_id)
            async with h.client() as c:
                return (await c.post("/hooks/runner", content=raw, headers=headers)).status_code

        # Every report's final event delivered twice at once: one effect each.
        codes = await asyncio.gather(*(post(rid, f"msg_{rid}") for rid in ids for _ in range(2)))
        async with h.client("ann") as c:
            log = (await c.get("/api/v1/events", params={"limit": 100})).json()["events"]
    assert set(codes) == {200}
    # Per report: queued, the started its final event implies, succeeded.
    assert [e["seq"] for e in log] == list(range(1, 25))
    assert sorted(e["report_id"] for e in log if e["type"] == "report.succeeded") == sorted(ids)


async def test_migrations_are_idempotent(postgres_url: str) -> None:
    first = await Store.open(postgres_url)
    second = await Store.open(postgres_url)
    await second.ping()
    await first.close()
    await second.close()
