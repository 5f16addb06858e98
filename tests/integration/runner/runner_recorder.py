"""Executor and hooks the process-level tests load into ``reportflow runner``.

Each attempt appends ``run <job id> <pid>`` to the file named by
``RF_TEST_LOG`` when it starts, and ``done <job id> <pid>`` once the queue
accepted its success, so a test can count runs and successes per job across
processes (O_APPEND keeps short lines from different processes whole).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from reportflow.config import Settings
from reportflow.queue import Job, JobState
from reportflow.runner import JobContext, RunnerHooks


def _append(line: str) -> None:
    with open(os.environ["RF_TEST_LOG"], "a", encoding="utf-8") as out:
        out.write(f"{line} {os.getpid()}\n")


class RecordingSleep:
    async def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        _append(f"run {job.id}")
        await asyncio.sleep(float(job.params["seconds"]))
        return {"rows": 1, "artifacts": []}


class RecordSuccess(RunnerHooks):
    async def after_finish(self, job: Job, state: JobState | None) -> None:
        if state is JobState.SUCCEEDED:
            _append(f"done {job.id}")


def executor(settings: Settings) -> RecordingSleep:
    return RecordingSleep()


def hooks(settings: Settings) -> RecordSuccess:
    return RecordSuccess()
