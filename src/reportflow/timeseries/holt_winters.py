"""Triple exponential smoothing, Holt-Winters (NIST/SEMATECH e-Handbook 6.4.3.5).

With m the period, φ the damping (1 when undamped), and b ≡ 0 without trend:

additive seasonality
    ŷ[t] = l[t−1] + φ·b[t−1] + s[t−m]
    l[t] = α·(y[t] − s[t−m]) + (1−α)·(l[t−1] + φ·b[t−1])
    b[t] = β·(l[t] − l[t−1]) + (1−β)·φ·b[t−1]
    s[t] = γ·(y[t] − l[t−1] − φ·b[t−1]) + (1−γ)·s[t−m]

multiplicative seasonality
    ŷ[t] = (l[t−1] + φ·b[t−1])·s[t−m]
    l[t] = α·y[t]/s[t−m] + (1−α)·(l[t−1] + φ·b[t−1])
    b[t] = β·(l[t] − l[t−1]) + (1−β)·φ·b[t−1]
    s[t] = γ·y[t]/(l[t−1] + φ·b[t−1]) + (1−γ)·s[t−m]

This is Hyndman & Athanasopoulos' component form, the one statsmodels uses.
The handbook's own form updates the season with the *new* level, y[t]/S[t],
and names the constants the other way round: its β is the seasonal constant
(our γ) and its γ the trend constant (our β).

Initial values (``hw_initial_values``) follow the handbook's scheme over the
first ``seasons`` complete periods: A_p = mean of period p; seasonal index i
is the mean over p of y/A_p (multiplicative) or y − A_p (additive); the trend
is (1/m)·Σᵢ (y[m+i] − y[i])/m = (A₂ − A₁)/m; the level is A₁.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from reportflow.timeseries._kernels import empty_like, hw_add_kernel, hw_mul_kernel
from reportflow.timeseries._validate import (
    FloatArray,
    choice,
    finite_number,
    positive_int,
    positive_series,
    series,
    unit_interval,
)
from reportflow.timeseries.result import Seasonal, SmoothingResult

Trend = Literal["add"] | None


def hw_initial_values(
    y: ArrayLike,
    period: int,
    seasonal: Seasonal = "add",
    trend: Trend = "add",
    seasons: int | None = None,
) -> tuple[float, float | None, FloatArray]:
    """(level, trend, seasonal indices) from the first ``seasons`` periods of ``y``.

    ``seasons`` defaults to 2 with a trend (the handbook's advice: two complete
    seasons to see the trend) and 1 without. The handbook's worked example
    uses all six years of its data: ``seasons=6``.
    """
    m = positive_int(period, "period", minimum=2)
    choice(seasonal, "seasonal", ("add", "mul"))
    choice(trend, "trend", ("add", None))
    least = 2 if trend is not None else 1
    k = least if seasons is None else positive_int(seasons, "seasons", minimum=least)
    arr = series(y, min_len=k * m, why=f"for {k} complete periods of {m}")
    if seasonal == "mul":
        positive_series(arr[: k * m], "y", "multiplicative seasonality")
    blocks = arr[: k * m].reshape(k, m)
    means = blocks.mean(axis=1)
    if seasonal == "mul":
        indices = (blocks / means[:, None]).mean(axis=0)
    else:
        indices = (blocks - means[:, None]).mean(axis=0)
    b0 = float(means[1] - means[0]) / m if trend is not None else None
    return float(means[0]), b0, np.ascontiguousarray(indices)


def holt_winters(
    y: ArrayLike,
    alpha: float,
    beta: float | None,
    gamma: float,
    period: int,
    seasonal: Seasonal = "add",
    trend: Trend = "add",
    initial_level: float | None = None,
    initial_trend: float | None = None,
    initial_seasonal: ArrayLike | None = None,
    damping: float | None = None,
) -> SmoothingResult:
    """Triple exponential smoothing; see the module docstring for the equations.

    ``beta`` (and ``damping``) must be None when ``trend`` is None. Initial
    values not given come from :func:`hw_initial_values`, which needs two
    complete periods of data with a trend and one without.
    ``initial_seasonal[i]`` is the seasonal term used for ``y[i]``.
    """
    m = positive_int(period, "period", minimum=2)
    choice(seasonal, "seasonal", ("add", "mul"))
    choice(trend, "trend", ("add", None))
    a = unit_interval(alpha, "alpha")
    g = unit_interval(gamma, "gamma")
    if trend is None:
        if beta is not None:
            raise ValueError(f"beta: must be None when trend is None, got {beta!r}")
        if damping is not None:
            raise ValueError(f"damping: must be None when trend is None, got {damping!r}")
        b = 0.0
    else:
        b = unit_interval(beta, "beta")
    phi = None if damping is None else unit_interval(damping, "damping")
    defaults_needed = (
        initial_level is None
        or initial_seasonal is None
        or (trend is not None and initial_trend is None)
    )
    periods = 2 if trend is not None else 1
    arr = series(y, min_len=periods * m if defaults_needed else 1, why=f"for period={m}")
    if seasonal == "mul":
        positive_series(arr, "y", "multiplicative seasonality")
    l0, b0, s0 = _initial_state(
        arr, m, seasonal, trend, initial_level, initial_trend, initial_seasonal, defaults_needed
    )
    return run_holt_winters(arr, a, b, g, m, seasonal, trend, phi, l0, b0, s0)


def _initial_state(
    y: FloatArray,
    m: int,
    seasonal: Seasonal,
    trend: Trend,
    initial_level: float | None,
    initial_trend: float | None,
    initial_seasonal: ArrayLike | None,
    defaults_needed: bool,
) -> tuple[float, float, FloatArray]:
    if defaults_needed:
        dl, db, ds = hw_initial_values(y, m, seasonal, trend)
    else:
        dl, db, ds = 0.0, 0.0, np.zeros(m)
    l0 = dl if initial_level is None else finite_number(initial_level, "initial_level")
    b0 = 0.0
    if trend is not None:
        b0 = (db or 0.0) if initial_trend is None else finite_number(initial_trend, "initial_trend")
    if initial_seasonal is None:
        return l0, b0, ds
    s0 = series(initial_seasonal, "initial_seasonal")
    if s0.shape[0] != m:
        raise ValueError(f"initial_seasonal: needs period={m} values, got {s0.shape[0]}")
    if seasonal == "mul":
        positive_series(s0, "initial_seasonal", "multiplicative seasonality")
    return l0, b0, s0


def run_holt_winters(
    y: FloatArray,
    alpha: float,
    beta: float,
    gamma: float,
    period: int,
    seasonal: Seasonal,
    trend: Trend,
    damping: float | None,
    l0: float,
    b0: float,
    s0: FloatArray,
) -> SmoothingResult:
    """Holt-Winters on validated input (``fit`` calls this in its inner loop)."""
    fitted, level, trend_out, season = (empty_like(y) for _ in range(4))
    kernel = hw_mul_kernel if seasonal == "mul" else hw_add_kernel
    phi = 1.0 if damping is None else damping
    kernel(y, alpha, beta, gamma, phi, l0, b0, s0, fitted, level, trend_out, season)
    tail = np.concatenate((s0, season[-period:]))[-period:]
    params = {
        "alpha": alpha,
        "beta": beta if trend is not None else None,
        "gamma": gamma,
        "period": period,
        "seasonal": seasonal,
        "trend": trend,
        "damping": damping,
        "initial_level": l0,
        "initial_trend": b0 if trend is not None else None,
    }
    return SmoothingResult(
        "holt_winters",
        y,
        fitted,
        level,
        trend_out if trend is not None else None,
        season,
        dict(params),
        season_tail=tail,
    )
