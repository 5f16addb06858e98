"""The result of an exponential smoothing run: states, fitted values, forecasts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from reportflow.timeseries import measures
from reportflow.timeseries._validate import FloatArray, positive_int

Seasonal = Literal["add", "mul"]
ParamValue = float | int | str | None


def damped_steps(phi: float, h: int) -> FloatArray:
    """φ + φ² + … + φ^k for k = 1..h (just 1..h when undamped)."""
    if phi == 1.0:
        return np.arange(1, h + 1, dtype=np.float64)
    powers: FloatArray = np.full(h, phi) ** np.arange(1, h + 1)
    steps: FloatArray = np.cumsum(powers)
    return steps


def forecast_from_state(
    level: float,
    trend: float | None,
    phi: float,
    season_tail: FloatArray | None,
    seasonal: Seasonal | None,
    h: int,
) -> FloatArray:
    """Forecasts 1..h steps past the last state (Hyndman & Athanasopoulos, 8.3).

    ŷ(T+h) = l(T) + φ_h·b(T) ⊕ s(T+h−m(k+1)),  k = ⌊(h−1)/m⌋, φ_h = φ+…+φ^h,
    ⊕ being + or × by the seasonal form. ``season_tail`` holds s(T−m+1)…s(T),
    so step h uses ``season_tail[(h−1) % m]``: the last update of that season.
    (statsmodels ≤ 0.15 uses s(T−m) at h = m, 2m, …; statsmodels issue #9538.)
    """
    base = np.full(h, level, dtype=np.float64)
    if trend is not None:
        base += damped_steps(phi, h) * trend
    if seasonal is None or season_tail is None:
        return base
    m = season_tail.shape[0]
    s: FloatArray = season_tail[np.arange(h) % m]
    out: FloatArray = base + s if seasonal == "add" else base * s
    return out


@dataclass(frozen=True, eq=False)
class SmoothingResult(measures.FittedErrors):
    """One run of single, double or triple exponential smoothing.

    ``fitted[t]`` is the one-step-ahead forecast of ``y[t]`` (``fitted[0]``
    comes from the initial state alone: the initial level, plus φ·trend and
    the seasonal term where the method has them). ``level``, ``trend`` and
    ``season`` are the states after each observation (``trend``/``season``
    are None when the method has none). ``params`` records the constants and
    initial values used.
    """

    method: str
    y: FloatArray = field(repr=False)
    fitted: FloatArray = field(repr=False)
    level: FloatArray = field(repr=False)
    trend: FloatArray | None = field(repr=False)
    season: FloatArray | None = field(repr=False)
    params: dict[str, ParamValue]
    season_tail: FloatArray | None = field(repr=False, default=None)

    def forecast(self, h: int) -> FloatArray:
        """Forecasts for the ``h`` points after the end of ``y``."""
        steps = positive_int(h, "h")
        phi = self.params.get("damping")
        seasonal = self.params.get("seasonal")
        return forecast_from_state(
            float(self.level[-1]),
            None if self.trend is None else float(self.trend[-1]),
            1.0 if phi is None else float(phi),
            self.season_tail,
            seasonal if seasonal in ("add", "mul") else None,  # type: ignore[arg-type]
            steps,
        )
