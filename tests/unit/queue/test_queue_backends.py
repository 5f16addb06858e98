"""Choosing a backend by URL, and the shared pieces (backoff, wake-up)."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from reportflow.errors import ConfigError
from reportflow.queue import connect, retry_delay
from reportflow.queue.memory import MemoryQueue
from reportflow.queue.wakeup import WakeUp


def test_memory_urls() -> None:
    assert isinstance(connect("memory://"), MemoryQueue)
    assert connect("memory://") is not connect("memory://")
    shared = connect("memory://reports")
    assert connect("memory://reports") is shared


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis2://localhost/0", "unknown queue URL scheme 'redis2'"),
        ("mysql://root@localhost/db", "unknown queue URL scheme 'mysql'"),
        ("queue.db", "has no scheme"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        connect(url)
    assert "\n" not in str(info.value)


def test_memory_takes_no_options() -> None:
    with pytest.raises(Exception, match="no options"):
        connect("memory://", pool_size=3)


def test_missing_driver_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # makes `import asyncpg` fail
    with pytest.raises(ConfigError, match="pip install asyncpg"):
        connect("postgresql://postgres@127.0.0.1/x")


@pytest.mark.parametrize("attempt", [1, 2, 3, 10, 50])
def test_retry_delay_is_jittered_exponential_and_capped(attempt: int) -> None:
    ceiling = min(300.0, 2.0 ** (attempt - 1))
    delays = [retry_delay(attempt) for _ in range(200)]
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(set(delays)) > 1


async def test_wakeup_is_sticky_and_wakes_every_waiter() -> None:
    wake = WakeUp()
    wake.notify()
    assert await wake.wait(5) is True  # set before the wait: returns at once
    assert await wake.wait(0) is False  # seen, so cleared
    waiters = [asyncio.create_task(wake.wait(5)) for _ in range(3)]
    await asyncio.sleep(0)
    wake.notify()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 1) == [True, True, True]


async def test_wakeup_times_out() -> None:
    started = time.perf_counter()
    assert await WakeUp().wait(0.05) is False
    assert time.perf_counter() - started >= 0.04
