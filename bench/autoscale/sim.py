"""A discrete-event simulation of one runner pool under a load trace.

Events are arrivals (from the trace), completions (a heap) and controller
ticks (every ``tick`` seconds). Jobs are served first come, first served by
at most ``target`` slots; shrinking never stops a running job, it only stops
refilling, exactly like :class:`reportflow.runner.Runner`. At each tick the
policy gets an :class:`Observation` built like the live runner builds it
(queue total, queued, running, this pool's completions and busy time).
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from bench.autoscale.traces import Trace

from reportflow.runner.autoscale import Observation, Policy


@dataclass
class SimResult:
    policy: str
    waits: np.ndarray
    worker_seconds: float
    changes: int
    over_objective_seconds: float
    busy_seconds: float
    timeline: list[tuple[float, int, int, int]] = field(repr=False)
    """(time, target, busy, queued) at every tick."""

    def p95_wait(self) -> float:
        return float(np.percentile(self.waits, 95))

    def utilization(self) -> float:
        return self.busy_seconds / self.worker_seconds if self.worker_seconds else 0.0


def time_over(arrivals: np.ndarray, starts: np.ndarray, objective: float) -> float:
    """Seconds during which some waiting job had waited longer than ``objective``.

    Jobs start in arrival order (FIFO), so the intervals [arrival + objective,
    start] are sorted by their starts and merge in one pass.
    """
    lo = arrivals + objective
    mask = starts > lo
    total, end = 0.0, -np.inf
    for a, b in zip(lo[mask], starts[mask], strict=True):
        if a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


def simulate(
    trace: Trace,
    policy: Policy,
    name: str,
    *,
    tick: float = 15.0,
    objective: float = 30.0,
    initial: int = 4,
) -> SimResult:
    arr, svc = trace.arrivals, trace.services
    n = arr.shape[0]
    starts = np.full(n, np.nan)
    waiting: deque[int] = deque()
    running: list[tuple[float, int]] = []
    target, busy = initial, 0
    i = completed = changes = 0
    service_total = busy_seconds = worker_seconds = 0.0
    last_t, next_tick = 0.0, tick
    timeline: list[tuple[float, int, int, int]] = []

    def fill(now: float) -> None:
        nonlocal busy
        while busy < target and waiting:
            j = waiting.popleft()
            starts[j] = now
            busy += 1
            heapq.heappush(running, (now + svc[j], j))

    while True:
        t_arr = arr[i] if i < n else np.inf
        t_fin = running[0][0] if running else np.inf
        t = min(t_arr, t_fin, next_tick)
        if t > trace.duration and not running and not waiting:
            break
        worker_seconds += (t - last_t) * max(target, busy)
        busy_seconds += (t - last_t) * busy
        last_t = t
        if t == t_fin:
            _, j = heapq.heappop(running)
            busy -= 1
            completed += 1
            service_total += svc[j]
            fill(t)
        elif t == t_arr:
            waiting.append(i)
            i += 1
            fill(t)
        else:
            obs = Observation(
                now=t,
                current=target,
                arrivals_total=i,
                queued=len(waiting),
                running=busy,
                busy=busy,
                completed_total=completed,
                service_seconds_total=service_total,
                busy_seconds_total=busy_seconds,
            )
            decision = policy.decide(obs)
            if decision.target != target:
                changes += 1
                target = decision.target
                fill(t)
            timeline.append((t, target, busy, len(waiting)))
            next_tick += tick
    waits = starts - arr
    return SimResult(
        policy=name,
        waits=waits,
        worker_seconds=worker_seconds,
        changes=changes,
        over_objective_seconds=time_over(arr, starts, objective),
        busy_seconds=busy_seconds,
        timeline=timeline,
    )
