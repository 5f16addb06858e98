"""A run's link to the loop (``RunControl``) and its thread hand-off (``_in_thread``)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from reportflow.etl.contract import Progress
from reportflow.etl.control import RunControl
from reportflow.etl.engine import _in_thread


class Calls:
    """A progress callback that records stages; ``gate`` holds the first call."""

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.stages: list[str] = []
        self.gate = gate

    async def __call__(self, update: Progress) -> None:
        if self.gate is not None and not self.stages:
            self.stages.append(f"{update.stage} (held)")
            await self.gate.wait()
            return
        self.stages.append(update.stage)


async def _from_thread(control: RunControl, *stages: str) -> None:
    def report() -> None:
        for stage in stages:
            control.report(stage, 0, force=True)

    await asyncio.to_thread(report)  # its end reaches the loop after the reports


async def test_updates_arrive_in_order_and_finish_comes_last() -> None:
    calls = Calls()
    control = RunControl(asyncio.get_running_loop(), calls)
    await _from_thread(control, "extract", "transform", "render")
    await control.finish("done", 10)
    assert calls.stages == ["extract", "transform", "render", "done"]
    await control.close()


async def test_finish_waits_for_a_slow_callback() -> None:
    gate = asyncio.Event()
    calls = Calls(gate)
    control = RunControl(asyncio.get_running_loop(), calls)
    await _from_thread(control, "extract", "render")
    finishing = asyncio.create_task(control.finish("done", 1))
    await asyncio.sleep(0.05)
    assert calls.stages == ["extract (held)"]  # render and done wait their turn
    gate.set()
    await finishing
    assert calls.stages == ["extract (held)", "render", "done"]


async def test_a_run_that_reports_nothing_keeps_no_task() -> None:
    before = asyncio.all_tasks()
    control = RunControl(asyncio.get_running_loop(), Calls())
    assert asyncio.all_tasks() == before
    await control.close()


async def test_closing_without_drain_drops_what_is_pending() -> None:
    calls = Calls(asyncio.Event())  # never set: the first call hangs
    control = RunControl(asyncio.get_running_loop(), calls)
    await _from_thread(control, "extract", "render", "load")
    await asyncio.sleep(0.01)
    async with asyncio.timeout(5):
        await control.close(drain=False)
    assert calls.stages == ["extract (held)"]
    await asyncio.sleep(0.01)
    assert calls.stages == ["extract (held)"]


async def test_a_cancel_that_meets_a_finished_thread_undoes_its_result() -> None:
    loop = asyncio.get_running_loop()
    control = RunControl(loop, None)
    returning = threading.Event()
    undone: list[str] = []

    def work() -> str:
        returning.set()
        return "published"

    async def undo(result: str) -> None:
        undone.append(result)

    task = asyncio.create_task(_in_thread(work, control, "job-1", undo=undo))
    await asyncio.sleep(0)  # the thread starts
    assert returning.wait(5)
    time.sleep(0.1)  # noqa: ASYNC251 -- the loop must stay busy while the thread hands over
    task.cancel()  # before the loop has taken the result
    with pytest.raises(asyncio.CancelledError):
        await task
    assert undone == ["published"]
    assert control.cancelled


async def test_a_thread_error_reaches_the_caller() -> None:
    control = RunControl(asyncio.get_running_loop(), None)

    def work() -> None:
        raise ValueError("bad batch")

    with pytest.raises(ValueError, match="bad batch"):
        await _in_thread(work, control, "job-2")
