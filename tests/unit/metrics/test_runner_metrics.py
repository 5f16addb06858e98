"""MetricsHooks and MeteredExecutor on a real pool over the memory queue."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from metrics_kit import Delta, value

from reportflow.config import Settings
from reportflow.queue import Job, connect
from reportflow.queue.memory import MemoryQueue
from reportflow.runner import JobContext, Runner, build_runner
from reportflow.runner.autoscale import Autoscaler  # noqa: F401 - before .scale (import cycle)
from reportflow.runner.metrics_hooks import MeteredExecutor, MetricsHooks, count_artifacts
from reportflow.runner.scale import Scaler, parse_request

WAIT = 10.0


class Gate:
    """An executor that holds every job until released; fails jobs whose params ask."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = asyncio.Semaphore(0)

    async def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        self.started.release()
        await self.release.wait()
        if job.params.get("fail"):
            raise RuntimeError("boom")
        return {"rows": 1, "artifacts": [{"format": "csv", "size": 100}]}


@pytest.fixture
async def queue() -> AsyncIterator[MemoryQueue]:
    q = connect("memory://")
    assert isinstance(q, MemoryQueue)
    async with q:
        yield q


def _report() -> str:
    # A fresh report label per test: the registry is shared by the whole session.
    return f"r{uuid.uuid4().hex[:10]}"


async def _finished(queue: MemoryQueue, ids: list[str]) -> None:
    async with asyncio.timeout(WAIT):
        while True:
            jobs = [await queue.get(i) for i in ids]
            if all(j is not None and j.finished_at is not None for j in jobs):
                return
            await queue.wait(0.05)


async def test_attempts_export_wait_duration_outcome_and_slots(queue: MemoryQueue) -> None:
    report, worker = _report(), f"w-{uuid.uuid4().hex[:6]}"
    gate = Gate()
    ok = await queue.enqueue(report, {})
    bad = await queue.enqueue(report, {"fail": True}, max_attempts=1)
    await asyncio.sleep(0.05)  # a measurable wait before the claim
    runner = Runner(
        queue,
        gate,
        concurrency=3,
        hooks=[MetricsHooks(worker, 3)],
        worker_id=worker,
        grace_seconds=0,
        poll_seconds=0.05,
    )
    assert value("reportflow_runner_concurrency_target", worker=worker) == 3
    async with runner:
        async with asyncio.timeout(WAIT):
            await gate.started.acquire()
            await gate.started.acquire()
        assert value("reportflow_runner_slots_busy", worker=worker) == 2
        assert value("reportflow_runner_slots", worker=worker) == 3
        gate.release.set()
        await _finished(queue, [ok.id, bad.id])
    # The drain waited for every attempt's after_finish: no slot is busy any more.
    assert value("reportflow_runner_slots_busy", worker=worker) == 0
    assert value("reportflow_reports_completed_total", report=report, outcome="succeeded") == 1
    assert value("reportflow_reports_completed_total", report=report, outcome="failed") == 1
    assert value("reportflow_queue_wait_seconds_count", report=report) == 2
    assert value("reportflow_queue_wait_seconds_sum", report=report) >= 0.05
    assert value("reportflow_report_duration_seconds_count", report=report) == 2
    # Both attempts waited on the gate, so neither can be instantaneous.
    assert value("reportflow_report_duration_seconds_sum", report=report) > 0


async def test_resize_sets_target_gauges(queue: MemoryQueue) -> None:
    worker = f"w-{uuid.uuid4().hex[:6]}"
    runner = Runner(queue, Gate(), concurrency=2, hooks=[MetricsHooks(worker, 2)], worker_id=worker)
    await runner.resize(5, reason="unit-test")
    assert value("reportflow_runner_concurrency_target", worker=worker) == 5
    assert value("reportflow_runner_slots", worker=worker) == 5
    await runner.resize(1, reason="unit-test")
    assert value("reportflow_runner_concurrency_target", worker=worker) == 1
    assert value("reportflow_runner_slots", worker=worker) == 1


async def test_scale_hook_counts_scale_actions_by_bounded_reason(queue: MemoryQueue) -> None:
    """Through the runner's scale hook: one action per change, labelled by kind, not
    by the free-text reason (which names alert fingerprints)."""
    worker = f"w-{uuid.uuid4().hex[:6]}"
    runner = Runner(queue, Gate(), concurrency=2, hooks=[MetricsHooks(worker, 2)], worker_id=worker)
    scaler = Scaler(runner, minimum=1, maximum=8)
    up = Delta("reportflow_scale_actions_total", reason="manual", direction="up")
    down = Delta("reportflow_scale_actions_total", reason="manual", direction="down")
    await scaler.apply(parse_request(b'{"delta": 3}'))
    assert value("reportflow_runner_concurrency_target", worker=worker) == 5
    await scaler.apply(parse_request(b'{"target": 1}'))
    await scaler.apply(parse_request(b'{"target": 1}'))  # no change: no action
    assert (up.change, down.change) == (1, 1)
    assert value("reportflow_runner_concurrency_target", worker=worker) == 1


async def test_slots_cover_running_reports_after_a_shrink(queue: MemoryQueue) -> None:
    worker, gate = f"w-{uuid.uuid4().hex[:6]}", Gate()
    await queue.enqueue(_report(), {})
    await queue.enqueue(_report(), {})
    runner = Runner(
        queue,
        gate,
        concurrency=2,
        hooks=[MetricsHooks(worker, 2)],
        worker_id=worker,
        grace_seconds=0,
        poll_seconds=0.05,
    )
    async with runner:
        async with asyncio.timeout(WAIT):
            await gate.started.acquire()
            await gate.started.acquire()
        await runner.resize(0, reason="unit-test")
        assert value("reportflow_runner_concurrency_target", worker=worker) == 0
        # Shrinking never kills a running report: both still hold a slot.
        assert value("reportflow_runner_slots", worker=worker) == 2
        gate.release.set()


async def test_build_runner_instruments_the_pool(queue: MemoryQueue) -> None:
    report = _report()
    settings = Settings()
    runner = build_runner(settings, queue, Gate())
    worker = runner.worker_id
    assert value("reportflow_runner_concurrency_target", worker=worker) == runner.concurrency
    csv = Delta("reportflow_artifact_bytes_total", format="csv")
    job = await queue.enqueue(report, {})
    gate = runner._attempt_settings.executor  # the MeteredExecutor around our Gate
    assert isinstance(gate, MeteredExecutor)
    assert isinstance(gate.inner, Gate)
    gate.inner.release.set()
    async with runner:
        await _finished(queue, [job.id])
    assert value("reportflow_reports_completed_total", report=report, outcome="succeeded") == 1
    assert csv.change == 100


def test_count_artifacts_skips_what_is_not_an_artifact() -> None:
    xlsx = Delta("reportflow_artifact_bytes_total", format="xlsx")
    result = {
        "artifacts": [
            {"format": "xlsx", "size": 2048},
            {"format": "xlsx", "size": -1},
            {"format": "xlsx"},
            "not a dict",
        ]
    }
    assert count_artifacts(result) == 2048
    assert count_artifacts(None) == 0
    assert count_artifacts({"artifacts": None}) == 0
    assert xlsx.change == 2048
