"""Pieces of the runner unit tests: a scriptable executor and a sink one can wait on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from reportflow.errors import ParameterError
from reportflow.queue import Job
from reportflow.runner import JobContext, MemorySink, ReportEvent, Runner

WAIT = 10.0  # upper bound for any wait in these tests; they finish far sooner


class ScriptExecutor:
    """Does what the job's params say; records every call.

    params: ``sleep`` seconds, ``gate`` (wait until ``open(gate)``), ``block``
    (wait until cancelled), ``fail_times`` (raise on the first N attempts),
    ``bad`` (raise ParameterError), ``steps`` (progress calls), ``timeout``
    (``ctx.set_timeout``), ``rows``.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.cancelled: list[str] = []
        self.running = 0
        self.peak = 0
        self._started: dict[str, asyncio.Event] = {}
        self._gates: dict[str, asyncio.Event] = {}

    def started(self, job_id: str) -> asyncio.Event:
        return self._started.setdefault(job_id, asyncio.Event())

    def gate(self, name: str) -> asyncio.Event:
        return self._gates.setdefault(name, asyncio.Event())

    def open(self, name: str) -> None:
        self.gate(name).set()

    async def wait_started(self, job_id: str) -> None:
        async with asyncio.timeout(WAIT):
            await self.started(job_id).wait()

    async def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        p = job.params
        self.calls.append((job.id, ctx.attempt))
        self.running += 1
        self.peak = max(self.peak, self.running)
        self.started(job.id).set()
        try:
            if "timeout" in p:
                ctx.set_timeout(p["timeout"])
            for step in range(p.get("steps", 0)):
                await ctx.progress("extract" if step < 5 else "render", rows=step)
            if "gate" in p:
                await self.gate(p["gate"]).wait()
            if p.get("block"):
                await asyncio.Event().wait()
            await asyncio.sleep(p.get("sleep", 0))
            if ctx.attempt <= p.get("fail_times", 0):
                raise RuntimeError(f"boom on attempt {ctx.attempt}")
            if p.get("bad"):
                raise ParameterError(job.report, {"year": "must be an integer"})
            return {"rows": p.get("rows", 1), "artifacts": [{"key": f"{job.id}/out.csv"}]}
        except asyncio.CancelledError:
            self.cancelled.append(job.id)
            raise
        finally:
            self.running -= 1


class RecordingSink(MemorySink):
    """A MemorySink whose contents one can await."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = asyncio.Condition()

    async def emit(self, event: ReportEvent) -> None:
        await super().emit(event)
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[list[ReportEvent]], bool]) -> None:
        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(lambda: predicate(self.events))

    async def wait_final(self, count: int) -> None:
        await self.wait_for(lambda events: sum(e.final for e in events) >= count)


MakeRunner = Callable[..., Runner]
