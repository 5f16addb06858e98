"""The runner-side signals (finished jobs, run time, busy time) and the memory registry."""

from __future__ import annotations

from reportflow.queue import Job
from reportflow.runner import Outcome
from reportflow.runner.autoscale import MemoryPeers, SignalHooks


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_signal_hooks_count_finished_jobs_and_busy_time() -> None:
    clock = Clock()
    hooks = SignalHooks(clock)
    a, b, c = Job(id="a", report="r"), Job(id="b", report="r"), Job(id="c", report="r")
    await hooks.before_run(a)
    await hooks.before_run(b)
    clock.now += 4
    await hooks.after_run(a, Outcome.SUCCEEDED, None)
    await hooks.before_run(c)
    clock.now += 2
    await hooks.after_run(b, Outcome.FAILED, RuntimeError("x"))
    assert hooks.completed == 2
    assert hooks.service_seconds == 4 + 6
    # c is still running (2 s so far): busy time counts it, service time does not.
    assert hooks.busy_seconds() == 4 + 6 + 2
    clock.now += 1
    await hooks.after_run(c, Outcome.RELEASED, None)  # handed back: cut short, not a sample
    assert hooks.completed == 2
    assert hooks.busy_seconds() == 4 + 6 + 3


async def test_memory_peers_count_and_expire() -> None:
    a, b = MemoryPeers("memory://peers-test", ttl=45), MemoryPeers("memory://peers-test", ttl=45)
    assert await a.beat("a", 1000) == 1
    assert await b.beat("b", 1010) == 2
    assert await a.beat("a", 1056) == 1  # b last seen 46 s ago
    await a.leave("a")
    assert await b.beat("b", 1057) == 1
    other = MemoryPeers("memory://another", ttl=45)
    assert await other.beat("x", 1057) == 1
