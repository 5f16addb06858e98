"""Online smoothing: one new point at a time, O(1) work and memory per update.

For live signals (the runner's autoscaler smooths its queue depth and forecasts
the load with these). Each class runs the same recursion as its batch
counterpart: fed ``y[0], y[1], …`` one by one, ``update(y[t])`` returns the
batch ``fitted[t+1]`` and ``forecast(h)`` after the last point equals the
batch ``forecast(h)``.

Default initial values that look ahead (Holt's ``b = y[1] − y[0]``,
Holt-Winters' first one or two periods) make the model wait for those
points: until then it is not ``ready`` and ``update`` returns the last value
seen (a naive forecast), then it replays the buffered points and continues
exactly as the batch method. Give the initial values to be ready at once.
"""

from __future__ import annotations

import math

import numpy as np

from reportflow.timeseries._validate import (
    FloatArray,
    choice,
    finite_number,
    positive_int,
    series,
    unit_interval,
)
from reportflow.timeseries.holt_winters import Trend, hw_initial_values
from reportflow.timeseries.result import Seasonal, forecast_from_state


def _point(y: float) -> float:
    v = float(y)
    if not math.isfinite(v):
        raise ValueError(f"y: must be a finite number, got {v}")
    return v


class OnlineEWMA:
    """Single exponential smoothing / EWMA; the first point is the initial level by default."""

    def __init__(self, alpha: float, initial_level: float | None = None) -> None:
        self.alpha = unit_interval(alpha, "alpha")
        self.level: float | None = (
            None if initial_level is None else finite_number(initial_level, "initial_level")
        )
        self.n = 0

    @property
    def ready(self) -> bool:
        return self.level is not None

    def update(self, y: float) -> float:
        """Take one observation; return the forecast of the next one."""
        v = _point(y)
        lvl = v if self.level is None else self.level
        self.level = self.alpha * v + (1.0 - self.alpha) * lvl
        self.n += 1
        return self.level

    def forecast(self, h: int = 1) -> FloatArray:
        steps = positive_int(h, "h")
        if self.level is None:
            raise ValueError("forecast: no observation yet and no initial_level")
        return np.full(steps, self.level)


class OnlineHolt:
    """Holt's linear trend (optionally damped), one point at a time."""

    def __init__(
        self,
        alpha: float,
        beta: float,
        damping: float | None = None,
        initial_level: float | None = None,
        initial_trend: float | None = None,
    ) -> None:
        self.alpha = unit_interval(alpha, "alpha")
        self.beta = unit_interval(beta, "beta")
        self.phi = 1.0 if damping is None else unit_interval(damping, "damping")
        self._l0 = None if initial_level is None else finite_number(initial_level, "initial_level")
        self._b0 = None if initial_trend is None else finite_number(initial_trend, "initial_trend")
        self.level = self._l0 if self._b0 is not None else None
        self.trend = self._b0 if self._l0 is not None else None
        self._pending: list[float] = []
        self.n = 0

    @property
    def ready(self) -> bool:
        return self.level is not None

    def _step(self, v: float) -> None:
        assert self.level is not None
        assert self.trend is not None
        base = self.level + self.phi * self.trend
        new = self.alpha * v + (1.0 - self.alpha) * base
        self.trend = self.beta * (new - self.level) + (1.0 - self.beta) * self.phi * self.trend
        self.level = new

    def update(self, y: float) -> float:
        """Take one observation; return the forecast of the next one."""
        v = _point(y)
        self.n += 1
        if self.level is None:
            self._pending.append(v)
            first = self._pending[0]
            if self._b0 is None and len(self._pending) < 2:
                return v  # the default trend y[1] − y[0] needs the next point
            self.level = first if self._l0 is None else self._l0
            self.trend = self._pending[1] - first if self._b0 is None else self._b0
            for p in self._pending:
                self._step(p)
            self._pending.clear()
        else:
            self._step(v)
        return float(self.forecast(1)[0])

    def forecast(self, h: int = 1) -> FloatArray:
        steps = positive_int(h, "h")
        if self.level is None or self.trend is None:
            raise ValueError("forecast: not enough observations yet for the initial values")
        return forecast_from_state(self.level, self.trend, self.phi, None, None, steps)


class OnlineHoltWinters:
    """Holt-Winters (additive or multiplicative season, optional trend), one point at a time."""

    def __init__(
        self,
        alpha: float,
        beta: float | None,
        gamma: float,
        period: int,
        seasonal: Seasonal = "add",
        trend: Trend = "add",
        initial_level: float | None = None,
        initial_trend: float | None = None,
        initial_seasonal: FloatArray | list[float] | None = None,
        damping: float | None = None,
    ) -> None:
        self.period = positive_int(period, "period", minimum=2)
        self.seasonal: Seasonal = choice(seasonal, "seasonal", ("add", "mul"))  # type: ignore[assignment]
        self.trend_kind: Trend = choice(trend, "trend", ("add", None))  # type: ignore[assignment]
        self.alpha = unit_interval(alpha, "alpha")
        self.gamma = unit_interval(gamma, "gamma")
        if trend is None and (beta is not None or damping is not None):
            raise ValueError("beta: beta and damping must be None when trend is None")
        self.beta = 0.0 if trend is None else unit_interval(beta, "beta")
        self.phi = 1.0 if damping is None else unit_interval(damping, "damping")
        self._given = (initial_level, initial_trend, initial_seasonal)
        self._pending: list[float] = []
        self.level: float | None = None
        self.trend: float = 0.0
        self._ring: list[float] = []
        self.n = 0
        if (
            initial_level is not None
            and initial_seasonal is not None
            and (trend is None or initial_trend is not None)
        ):
            self._start(np.empty(0))

    @property
    def ready(self) -> bool:
        return self.level is not None

    def _start(self, warm: FloatArray) -> None:
        lvl, b, s = self._given
        if len(warm):
            dl, db, ds = hw_initial_values(warm, self.period, self.seasonal, self.trend_kind)
            lvl = dl if lvl is None else lvl
            b = db if b is None else b
            s = ds if s is None else s
        self.level = finite_number(lvl, "initial_level")
        self.trend = 0.0 if self.trend_kind is None else finite_number(b, "initial_trend")
        ring = series(np.asarray(s, dtype=np.float64), "initial_seasonal")
        if ring.shape[0] != self.period:
            raise ValueError(
                f"initial_seasonal: needs period={self.period} values, got {len(ring)}"
            )
        if self.seasonal == "mul" and (ring <= 0.0).any():
            raise ValueError("initial_seasonal: multiplicative seasonality needs positive values")
        self._ring = [float(v) for v in ring]

    def _step(self, v: float, t: int) -> None:
        assert self.level is not None
        k = t % self.period
        s_old = self._ring[k]
        base = self.level + self.phi * self.trend
        if self.seasonal == "mul":
            new = self.alpha * (v / s_old) + (1.0 - self.alpha) * base
            self._ring[k] = self.gamma * (v / base) + (1.0 - self.gamma) * s_old
        else:
            new = self.alpha * (v - s_old) + (1.0 - self.alpha) * base
            self._ring[k] = self.gamma * (v - base) + (1.0 - self.gamma) * s_old
        self.trend = self.beta * (new - self.level) + (1.0 - self.beta) * self.phi * self.trend
        self.level = new

    def update(self, y: float) -> float:
        """Take one observation; return the forecast of the next one."""
        v = _point(y)
        if self.seasonal == "mul" and v <= 0.0:
            raise ValueError(f"y: multiplicative seasonality needs positive data, got {v}")
        if self.level is None:
            self._pending.append(v)
            self.n += 1
            need = self.period * (2 if self.trend_kind is not None else 1)
            if len(self._pending) < need:
                return v  # naive forecast while the initial periods fill
            self._start(np.asarray(self._pending))
            for t, p in enumerate(self._pending):
                self._step(p, t)
            self._pending.clear()
        else:
            self._step(v, self.n)
            self.n += 1
        return float(self.forecast(1)[0])

    def forecast(self, h: int = 1) -> FloatArray:
        steps = positive_int(h, "h")
        if self.level is None:
            raise ValueError("forecast: not enough observations yet for the initial values")
        tail = np.roll(np.asarray(self._ring), -(self.n % self.period))
        trend = None if self.trend_kind is None else self.trend
        return forecast_from_state(self.level, trend, self.phi, tail, self.seasonal, steps)
