"""The reconciler: reports whose job ended without a runner event get closed once."""

from __future__ import annotations

import asyncio
import time

import pytest
from requestor_harness import Harness, runner_event

from reportflow.queue.base import LEASE_EXPIRED_ERROR, Job, JobState
from reportflow.requestor import user_channel
from reportflow.requestor.reconciler import Reconciler, terminal_event
from reportflow.store import Report, ReportStatus, users

SALES = {"report": "sales", "params": {"region": "north"}}


def _report(attempt: int = 1, phase: int = 2) -> Report:
    return Report(
        id="r1", user_id=1, report="sales", params={}, formats=["csv"],
        status=ReportStatus.RUNNING, attempt=attempt, phase=phase, progress=None,
        artifacts=[], error=None, request_hash="h", idempotency_key=None, retry_of=None,
        created_at=0.0, updated_at=0.0, started_at=None, finished_at=None,
    )  # fmt: skip


def _job(state: JobState, attempts: int = 3, **kw: object) -> Job:
    return Job(id="r1", report="sales", state=state, attempts=attempts, finished_at=9.0, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("job", "report", "kind", "attempt", "data"),
    [
        (
            _job(JobState.DEAD, error=LEASE_EXPIRED_ERROR),
            _report(),
            "failed",
            3,
            {"error": "runner lost the job after 3 attempts", "will_retry": False},
        ),
        (
            _job(JobState.DEAD, attempts=1, error=None),
            _report(attempt=0, phase=0),
            "failed",
            1,
            {"error": "runner lost the job after 1 attempt", "will_retry": False},
        ),
        (
            _job(JobState.DEAD, error="KeyError: 'gl_account'"),
            _report(attempt=3),
            "failed",
            3,
            {"error": "KeyError: 'gl_account'", "will_retry": False},
        ),
        (
            _job(
                JobState.SUCCEEDED, attempts=2, result={"artifacts": [{"name": "a.csv"}], "rows": 7}
            ),
            _report(),
            "succeeded",
            2,
            {"artifacts": [{"name": "a.csv"}], "rows": 7},
        ),
        # The job was cancelled after attempt 2 ended with a retry: that is attempt 3.
        (
            _job(JobState.CANCELLED, attempts=2),
            _report(2, 3),
            "cancelled",
            3,
            {"reason": "cancelled"},
        ),
    ],
)
def test_terminal_event_table(
    job: Job, report: Report, kind: str, attempt: int, data: dict[str, object]
) -> None:
    event = terminal_event(report, job, 10.0)
    assert event is not None
    assert (event.kind, event.attempt, event.data, event.at) == (kind, attempt, data, 9.0)


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.RUNNING])
def test_jobs_still_in_flight_are_left_alone(state: JobState) -> None:
    assert terminal_event(_report(), _job(state), 10.0) is None


async def _submit(rf: Harness) -> str:
    async with rf.client("ann") as c:
        return str((await c.post("/api/v1/reports", json=SALES)).json()["id"])


async def _kill_by_lease_expiry(rf: Harness, job_id: str) -> Job:
    """Claim with a tiny lease and never renew, until the queue marks the job dead."""
    for _ in range(10):
        await rf.queue.claim("doomed", lease_seconds=0.01)
        job = await rf.queue.get(job_id)
        assert job is not None
        if job.state is JobState.DEAD:
            return job
        await asyncio.sleep(0.02)  # let the lease run out: there is no event for that
    raise AssertionError("the job never died")


async def test_a_dead_job_is_reported_once_after_the_grace_period(rf: Harness) -> None:
    rid = await _submit(rf)
    job = await _kill_by_lease_expiry(rf, rid)
    assert job.finished_at is not None
    clock = [time.time()]
    reconciler = Reconciler(rf.app.state.services, interval=0, grace=30, clock=lambda: clock[0])
    assert await reconciler.run_once() == []  # within the grace period: wait for the runner
    clock[0] = job.finished_at + 31 + 30  # the report has been quiet long enough too
    [receipt] = await reconciler.run_once()
    assert receipt.entry is not None
    assert receipt.entry.type == "report.failed"
    assert await reconciler.run_once() == []  # closed: not in flight any more
    async with rf.client("ann") as c:
        report = (await c.get(f"/api/v1/reports/{rid}")).json()
        log = (await c.get("/api/v1/events")).json()["events"]
    assert (report["status"], report["error"]) == ("failed", "runner lost the job after 3 attempts")
    # The job ran (it was claimed three times): its start is logged with the failure.
    assert [e["type"] for e in log] == ["report.queued", "report.started", "report.failed"]


async def test_the_runner_event_and_the_reconciler_make_one_final(rf: Harness) -> None:
    rid = await _submit(rf)
    await rf.queue.claim("w1", lease_seconds=30)
    raw, headers = rf.hook(runner_event(rid, "succeeded", attempt=1, artifacts=[], rows=3))
    async with rf.client() as c:
        assert (await c.post("/hooks/runner", content=raw, headers=headers)).status_code == 200
    assert await rf.queue.ack("w1", rid, {"artifacts": [], "rows": 3})
    reconciler = Reconciler(rf.app.state.services, interval=0, grace=0)
    assert await reconciler.run_once() == []
    async with rf.client("ann") as c:
        log = (await c.get("/api/v1/events")).json()["events"]
    assert [e["type"] for e in log] == ["report.queued", "report.started", "report.succeeded"]


async def test_the_periodic_task_closes_reports_and_stops(rf: Harness) -> None:
    rid = await _submit(rf)
    await _kill_by_lease_expiry(rf, rid)
    async with rf.store.read() as db:
        ann = await users.require_user(db, "ann")
    services = rf.app.state.services
    async with (
        rf.broadcast.subscribe(user_channel(ann.id), maxsize=8) as sub,
        Reconciler(services, interval=0.02, grace=0),
        asyncio.timeout(5),
    ):
        started, failed = await sub.get(), await sub.get()
    assert (started["type"], started["report_id"]) == ("report.started", rid)
    assert (failed["type"], failed["report_id"]) == ("report.failed", rid)


async def test_settings_configure_the_reconciler(rf: Harness) -> None:
    reconciler = Reconciler.from_services(rf.app.state.services)
    assert (reconciler.interval, reconciler.grace) == (10.0, 60.0)
    async with reconciler:  # interval 0 would not start a task; 10 s does
        assert reconciler._task is not None
    assert reconciler._task is None
