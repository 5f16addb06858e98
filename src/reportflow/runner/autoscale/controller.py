"""reportflow's autoscaling policy: pure logic from observations to a target.

Nothing here awaits or reads a clock: :meth:`Controller.decide` takes an
:class:`Observation` (with its own ``now``) and returns a :class:`Decision`.
The live runner (:mod:`.service`) and the simulation in ``bench/autoscale``
drive the same object, so what the benchmark measures is what runs.

Each tick:

1. **Arrival rate** λ = new jobs on the queue since the last tick / elapsed
   time (the change in the queue's total job count; shared by every runner).
2. **Service time** S = EWMA of the run time of this runner's finished jobs.
3. λ is smoothed and forecast ``horizon_ticks`` ahead with a damped Holt
   model (:class:`reportflow.timeseries.OnlineHolt`); the highest forecast in
   the horizon is used, so a rising load is met before it arrives.
4. Slots for the load: the fewest ``c`` keeping the ``quantile`` of the queue
   wait under ``wait_seconds`` in an M/M/c queue of load λ·S (Little's law;
   see :mod:`.queueing`), plus slots to drain the backlog within
   ``drain_seconds``: ``depth / (drain_seconds / S)``.
5. Divided by the number of live runners sharing the queue and clamped to
   [min, max]: that is the *need*. Then stabilized with hysteresis
   (:mod:`.stabilizer`): below the need the target rises at once to the need
   plus ``headroom``; it falls only to the highest such level of the last
   ``scale_down_window`` seconds; in between it holds, and changes within
   ``tolerance`` are ignored.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from reportflow.errors import ConfigError
from reportflow.runner.autoscale.queueing import slots_for_wait
from reportflow.runner.autoscale.stabilizer import Stabilizer
from reportflow.timeseries import OnlineEWMA, OnlineHolt

#: Below this load (erlangs) with nothing queued the queue counts as idle.
IDLE_ERLANGS = 0.05


@dataclass(frozen=True, kw_only=True)
class AutoscaleConfig:
    """Knobs of the forecast policy; defaults suit reports of seconds to minutes."""

    min_concurrency: int = 1
    max_concurrency: int = 64
    tick_seconds: float = 15.0
    """How often the runner observes and decides (HPA's sync period)."""
    wait_seconds: float = 30.0
    """The queue-wait objective: the ``quantile`` of the wait the sizing keeps under it."""
    quantile: float = 0.95
    drain_seconds: float = 60.0
    """A backlog gets enough extra slots to clear within this time."""
    scale_down_window: float = 300.0
    tolerance: float = 0.1
    headroom: float = 0.1
    """Hysteresis band: scale up to need·(1 + headroom) (at least need + 1), and
    hold while the target stays between the need and that level."""
    horizon_ticks: int = 2
    """How far ahead the arrival rate is forecast."""
    rate_window: float = 60.0
    """The arrival rate is counted over this many seconds (at least one tick):
    a few arrivals per tick make a noisy rate, and the scale-down window would
    hold every upward blip for its whole length."""
    alpha: float = 0.5
    beta: float = 0.2
    damping: float = 0.8
    service_alpha: float = 0.2
    """EWMA constant for the service time (per tick with completions)."""
    initial_service_seconds: float = 1.0
    """Service time assumed until the first job finishes."""

    def __post_init__(self) -> None:
        if self.min_concurrency < 0 or self.max_concurrency < max(1, self.min_concurrency):
            raise ConfigError(
                f"autoscale: need 0 <= min_concurrency <= max_concurrency and max >= 1, "
                f"got {self.min_concurrency}..{self.max_concurrency}"
            )
        for name in ("tick_seconds", "drain_seconds", "initial_service_seconds", "rate_window"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"autoscale: {name} must be > 0, got {getattr(self, name)}")
        if self.wait_seconds < 0 or self.scale_down_window < 0 or self.headroom < 0:
            raise ConfigError(
                "autoscale: wait_seconds, scale_down_window and headroom must be >= 0"
            )
        if not 0 < self.quantile < 1:
            raise ConfigError(f"autoscale: quantile must be in (0, 1), got {self.quantile}")
        if not 0 <= self.tolerance < 1:
            raise ConfigError(f"autoscale: tolerance must be in [0, 1), got {self.tolerance}")
        if self.horizon_ticks < 1:
            raise ConfigError(f"autoscale: horizon_ticks must be >= 1, got {self.horizon_ticks}")
        for name in ("alpha", "beta", "damping", "service_alpha"):
            if not 0 < getattr(self, name) <= 1:
                raise ConfigError(f"autoscale: {name} must be in (0, 1], got {getattr(self, name)}")


@dataclass(frozen=True, kw_only=True)
class Observation:
    """What a runner sees at one tick. Counters are cumulative; the controller
    takes differences, so a missed tick loses nothing."""

    now: float
    """Seconds on any monotonic clock."""
    current: int
    """This runner's target concurrency now."""
    arrivals_total: int
    """Jobs the queue has seen (its total job count, every state)."""
    queued: int
    """Jobs waiting to be claimed (the shared backlog)."""
    running: int = 0
    """Jobs running on every runner of the queue."""
    busy: int = 0
    """Slots of this runner running a job."""
    completed_total: int = 0
    """Jobs this runner has finished."""
    service_seconds_total: float = 0.0
    """Their summed run time."""
    busy_seconds_total: float = 0.0
    """Slot-seconds this runner spent running jobs, running ones included
    (its utilization over a tick is the change / (elapsed · target))."""
    runners: int = 1
    """Live runners sharing the queue (this one included)."""


@dataclass(frozen=True, kw_only=True)
class Decision:
    """The target after one tick, and why."""

    target: int
    previous: int
    recommendation: int
    reason: str
    arrival_rate: float = 0.0
    forecast_rate: float = 0.0
    service_seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return self.target != self.previous


class Policy(Protocol):
    """Anything that maps observations to targets (the simulation compares several)."""

    def decide(self, obs: Observation) -> Decision: ...


class Controller:
    """The forecast policy (see the module docstring). Not thread-safe; one per runner."""

    def __init__(self, config: AutoscaleConfig | None = None) -> None:
        self.config = config or AutoscaleConfig()
        cfg = self.config
        self.stabilizer = Stabilizer(down_window=cfg.scale_down_window, tolerance=cfg.tolerance)
        self._rate = OnlineHolt(cfg.alpha, cfg.beta, damping=cfg.damping)
        self._service = OnlineEWMA(cfg.service_alpha)
        self._last: Observation | None = None
        self._counts: deque[tuple[float, int]] = deque()

    @property
    def service_seconds(self) -> float:
        level = self._service.level
        return self.config.initial_service_seconds if level is None else level

    def hold(self, now: float, target: int) -> None:
        """An outside change (the scale hook) set ``target``: keep it for one window."""
        self.stabilizer.record(now, target)

    def _observe_rate(self, obs: Observation) -> tuple[float, float]:
        """This tick's arrival rate and the forecast the sizing uses."""
        last = self._last
        if last is None or obs.now <= last.now:
            # No interval yet: Little's law backwards, from what is running now.
            self._counts.append((obs.now, obs.arrivals_total))
            rate = obs.running / self.service_seconds
            return rate, rate
        # Count over the rate window, from the oldest sample still inside it.
        self._counts.append((obs.now, obs.arrivals_total))
        while len(self._counts) > 2 and self._counts[1][0] <= obs.now - self.config.rate_window:
            self._counts.popleft()
        since, total = self._counts[0]
        # A queue that purges finished jobs can shrink its total: count no arrivals then.
        rate = max(0, obs.arrivals_total - total) / (obs.now - since)
        done = obs.completed_total - last.completed_total
        if done > 0:
            spent = obs.service_seconds_total - last.service_seconds_total
            self._service.update(max(spent, 0.0) / done)
        self._rate.update(rate)
        if not self._rate.ready:
            return rate, rate
        ahead = self._rate.forecast(self.config.horizon_ticks)
        return rate, max(0.0, float(ahead.max()))

    def recommend(self, obs: Observation, forecast_rate: float) -> int:
        """Slots this runner should have for ``forecast_rate``, before stabilizing."""
        cfg = self.config
        runners = max(1, obs.runners)
        service = self.service_seconds
        limit = cfg.max_concurrency * runners
        for_load = slots_for_wait(
            forecast_rate, service, cfg.wait_seconds, cfg.quantile, limit=limit
        )
        for_backlog = math.ceil(obs.queued * service / cfg.drain_seconds)
        share = math.ceil((for_load + for_backlog) / runners)
        return min(cfg.max_concurrency, max(cfg.min_concurrency, share))

    def decide(self, obs: Observation) -> Decision:
        """One tick: observe, forecast, size, stabilize."""
        if self._last is None:
            # The size the runner started with counts as a recommendation, so it is
            # held for one window instead of being cut at the very first tick.
            self.stabilizer.record(obs.now, obs.current)
        rate, forecast = self._observe_rate(obs)
        self._last = obs
        cfg = self.config
        rec = self.recommend(obs, forecast)
        idle = forecast * self.service_seconds < IDLE_ERLANGS and obs.queued == 0
        # An idle queue needs no headroom: the pool may settle on the minimum.
        high = (
            rec if idle else min(cfg.max_concurrency, rec + max(1, math.ceil(rec * cfg.headroom)))
        )
        current = min(cfg.max_concurrency, max(cfg.min_concurrency, obs.current))
        target = self.stabilizer.propose_band(obs.now, current, rec, high)
        reason = (
            f"autoscale: rate {rate:.3g}/s forecast {forecast:.3g}/s, "
            f"service {self.service_seconds:.3g}s, queued {obs.queued}, "
            f"runners {max(1, obs.runners)} -> recommend {rec}"
        )
        return Decision(
            target=target,
            previous=obs.current,
            recommendation=rec,
            reason=reason,
            arrival_rate=rate,
            forecast_rate=forecast,
            service_seconds=self.service_seconds,
        )
