"""The reconciler against a real SQLite queue: a job driven to dead by lease expiry."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import requestor_harness as live

from reportflow.config import Settings
from reportflow.queue import JobState, connect
from reportflow.requestor import user_channel
from reportflow.requestor.auth import digest, new_token
from reportflow.requestor.server import open_requestor
from reportflow.store import Role, users
from reportflow.webhooks import generate_secret, signature_headers

pytestmark = pytest.mark.integration

SALES = {"report": "sales", "params": {"region": "north"}}


async def test_a_job_lost_on_its_last_attempt_reaches_its_owner_once(tmp_path: Path) -> None:
    secret = generate_secret()
    settings = Settings(
        home=tmp_path,
        webhook_secret=secret,
        session_secret="s",
        requestor={"reconcile_interval_seconds": 0.05, "reconcile_grace_seconds": 0.2},
    )
    # The runner's side: its own connection to the shared SQLite queue.
    runner_queue = connect(settings.resolved_queue_url)
    async with open_requestor(settings, catalog=live.test_catalog()) as app:
        services = app.state.services
        token = new_token()
        async with services.store.transaction() as db:
            ann = await users.create_user(db, "ann", role=Role.USER, password_hash=None)
            await users.create_token(db, ann.id, digest(token))
        transport = httpx.ASGITransport(app=app)
        async with (
            runner_queue,
            httpx.AsyncClient(
                transport=transport,
                base_url="http://requestor.test",
                headers={"Authorization": f"Bearer {token}"},
            ) as api,
            services.broadcast.subscribe(user_channel(ann.id), maxsize=16) as sub,
        ):
            rid = (await api.post("/api/v1/reports", json=SALES)).json()["id"]
            assert (await sub.get())["type"] == "report.queued"
            # Three runners claim it in turn and vanish without a heartbeat (SIGKILL);
            # the fourth claim finds the last lease expired and marks the job dead.
            for attempt in range(1, 5):
                claimed = await runner_queue.claim(f"runner-{attempt}", lease_seconds=0.05)
                assert [j.id for j in claimed] == ([rid] if attempt < 4 else [])
                if attempt == 1:
                    started = live.runner_event(rid, "started", attempt=1)
                    raw = httpx.Request("POST", "/", json=started).content
                    headers = signature_headers(secret, "msg_started_1", raw)
                    r = await api.post("/hooks/runner", content=raw, headers=headers)
                    assert r.json()["outcome"] == "applied"
                    assert (await sub.get())["type"] == "report.started"
                if attempt < 4:
                    await asyncio.sleep(0.08)  # the lease runs out: nothing to wait on
            job = await runner_queue.get(rid)
            assert job is not None
            assert job.state is JobState.DEAD
            async with asyncio.timeout(10):
                # Attempt 3 ran too (runner-3 claimed it): its start comes with the failure.
                third, final = await sub.get(), await sub.get()
            assert (third["type"], third["attempt"]) == ("report.started", 3)
            assert (final["type"], final["status"]) == ("report.failed", "failed")
            assert final["data"] == {
                "error": "runner lost the job after 3 attempts",
                "will_retry": False,
            }
            report = (await api.get(f"/api/v1/reports/{rid}")).json()
            assert (report["status"], report["attempt"]) == ("failed", 3)
            # More passes change nothing; nor does a runner's late event.
            late = live.runner_event(rid, "failed", attempt=3, error="late", will_retry=False)
            raw = httpx.Request("POST", "/", json=late).content
            headers = signature_headers(secret, f"msg_{rid}_3_failed", raw)
            r = await api.post("/hooks/runner", content=raw, headers=headers)
            assert r.json()["outcome"] == "stale"
            await asyncio.sleep(0.3)  # several reconciler passes
            log = (await api.get("/api/v1/events")).json()["events"]
    types = [e["type"] for e in log]
    assert types == ["report.queued", "report.started", "report.started", "report.failed"]
