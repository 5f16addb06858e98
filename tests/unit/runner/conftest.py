"""Fixtures of the runner unit tests (helpers live in runner_kit)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from runner_kit import MakeRunner, RecordingSink, ScriptExecutor

from reportflow.queue import connect
from reportflow.queue.memory import MemoryQueue
from reportflow.runner import Runner


@pytest.fixture
async def queue() -> AsyncIterator[MemoryQueue]:
    q = connect("memory://")
    assert isinstance(q, MemoryQueue)
    async with q:
        yield q


@pytest.fixture
def executor() -> ScriptExecutor:
    return ScriptExecutor()


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def make_runner(
    queue: MemoryQueue, executor: ScriptExecutor, sink: RecordingSink
) -> AsyncIterator[MakeRunner]:
    """Builds runners on the test queue (short timings) and drains them at the end."""
    made: list[Runner] = []

    def make(**overrides: Any) -> Runner:
        options: dict[str, Any] = {
            "concurrency": 4,
            "sink": sink,
            "lease_seconds": 5.0,
            "heartbeat_seconds": 1.0,
            "grace_seconds": 0.0,
            "poll_seconds": 0.2,
        }
        options.update(overrides)
        target = options.pop("queue", queue)
        runner = Runner(target, options.pop("executor", executor), **options)
        made.append(runner)
        return runner

    yield make
    for runner in made:
        await runner.drain(0)
