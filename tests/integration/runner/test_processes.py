"""Runner processes on one durable queue: SIGKILL loses nothing, SIGTERM drains."""

from __future__ import annotations

import random
import signal

import pytest
from runner_fleet import Fleet, enqueue_many, jobs_of, run

from reportflow.queue import JobState

# Each test starts runner processes; on a loaded machine their start-up alone
# can take 20 s, so these get more than the default 60 s.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]


def test_sigkill_of_one_runner_loses_no_job_and_runs_each_success_once(fleet: Fleet) -> None:
    rng = random.Random(7)
    doomed = fleet.start(concurrency=4)
    survivor = fleet.start(concurrency=4)
    fleet.wait_ready(doomed, survivor)
    params = [{"seconds": rng.uniform(0.5, 1.0)} for _ in range(40)]
    ids = run(enqueue_many(fleet.queue_url, params))
    fleet.wait_for(
        lambda: {doomed.pid, survivor.pid} <= fleet.records.pids("run"), 20, "both runners to run"
    )
    fleet.wait_for(lambda: len(fleet.records.count("done")) >= 8, 20, "some jobs to finish")
    doomed.kill()  # SIGKILL: no drain, no release; its leases must expire
    doomed.wait(10)
    fleet.wait_for(lambda: len(fleet.records.count("done")) == 40, 40, "all 40 jobs to succeed")

    jobs = run(jobs_of(fleet.queue_url, ids))
    assert {job.state for job in jobs.values()} == {JobState.SUCCEEDED}
    done = fleet.records.count("done")
    assert all(done[job_id] == 1 for job_id in ids), done
    runs = fleet.records.lines()
    interrupted = {job for kind, job, pid in runs if kind == "run" and pid == doomed.pid} - {
        job for kind, job, pid in runs if kind == "done" and pid == doomed.pid
    }
    assert interrupted, "the kill should have caught jobs mid-run"
    for job_id in ids:
        by_survivor = sum(1 for k, j, p in runs if k == "run" and j == job_id and p == survivor.pid)
        # Taken over after the kill, or run by the survivor from the start: once either way.
        expected = 0 if job_id not in interrupted and done_by(runs, job_id) == doomed.pid else 1
        assert by_survivor == expected, job_id
        if job_id in interrupted:
            assert jobs[job_id].attempts == 2
    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(15) == 0


def done_by(runs: list[tuple[str, str, int]], job_id: str) -> int:
    return next(pid for kind, job, pid in runs if kind == "done" and job == job_id)


def test_sigterm_finishes_short_jobs_and_hands_back_long_ones(fleet: Fleet) -> None:
    short = run(enqueue_many(fleet.queue_url, [{"seconds": 0.3}] * 2))
    long = run(enqueue_many(fleet.queue_url, [{"seconds": 60}] * 2))
    waiting = run(enqueue_many(fleet.queue_url, [{"seconds": 0.1}] * 3))
    proc = fleet.start(concurrency=4, grace=1.5)
    fleet.wait_ready(proc)
    fleet.wait_for(lambda: len(fleet.records.count("run")) == 4, 20, "four jobs to start")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    jobs = run(jobs_of(fleet.queue_url, short + long + waiting))
    assert [jobs[i].state for i in short] == [JobState.SUCCEEDED] * 2
    for job_id in long:  # handed back: queued again, the interrupted attempt not counted
        assert jobs[job_id].state is JobState.QUEUED
        assert jobs[job_id].attempts == 0
    started = set(fleet.records.count("run"))
    for job_id in waiting:
        assert jobs[job_id].state in {JobState.QUEUED, JobState.SUCCEEDED}
        assert (jobs[job_id].state is JobState.SUCCEEDED) == (job_id in started)


def test_a_second_sigterm_hands_back_at_once(fleet: Fleet) -> None:
    long = run(enqueue_many(fleet.queue_url, [{"seconds": 60}] * 2))
    proc = fleet.start(concurrency=2, grace=60)
    fleet.wait_ready(proc)
    fleet.wait_for(lambda: len(fleet.records.count("run")) == 2, 20, "two jobs to start")
    proc.send_signal(signal.SIGTERM)
    # Signals of one kind do not queue: wait until the first one was handled.
    fleet.wait_for(lambda: "draining" in fleet.log(proc), 10, "the drain to begin")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert "handing running jobs back now" in fleet.log(proc)
    jobs = run(jobs_of(fleet.queue_url, long))
    assert {job.state for job in jobs.values()} == {JobState.QUEUED}
