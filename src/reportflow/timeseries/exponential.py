"""Single and double exponential smoothing (NIST/SEMATECH e-Handbook 6.4.3.1–6.4.3.4).

Single (SES), with l₋₁ the initial level (state before y[0]):

    ŷ[t]  = l[t−1]
    l[t]  = α·y[t] + (1−α)·l[t−1]

Double (Holt's linear trend, optionally damped with φ; φ = 1 is undamped):

    ŷ[t]  = l[t−1] + φ·b[t−1]
    l[t]  = α·y[t] + (1−α)·(l[t−1] + φ·b[t−1])
    b[t]  = β·(l[t] − l[t−1]) + (1−β)·φ·b[t−1]
    ŷ[T+h] = l[T] + (φ + φ² + … + φ^h)·b[T]

Defaults: l₋₁ = y[0] and b₋₁ = y[1] − y[0], placed *before* the first
observation (statsmodels' ``initialization_method="known"`` convention). The
handbook instead sets S₁ = y₁, b₁ = y₂ − y₁ *at* the first observation; pass
``initial_level=2·y[0]−y[1], initial_trend=y[1]−y[0]`` to reproduce it.
"""

from __future__ import annotations

from numpy.typing import ArrayLike

from reportflow.timeseries._kernels import empty_like, holt_kernel, ses_kernel
from reportflow.timeseries._validate import (
    FloatArray,
    finite_number,
    series,
    unit_interval,
)
from reportflow.timeseries.result import SmoothingResult


def ewma(y: ArrayLike, alpha: float) -> FloatArray:
    """Exponentially weighted moving average, s[0] = y[0], s[t] = α·y[t] + (1−α)·s[t−1].

    Equal to pandas ``Series.ewm(alpha=alpha, adjust=False).mean()`` and to
    ``ses(y, alpha).level``.
    """
    arr = series(y)
    a = unit_interval(alpha, "alpha")
    return run_ses(arr, a, float(arr[0])).level


def ses(y: ArrayLike, alpha: float, initial_level: float | None = None) -> SmoothingResult:
    """Single exponential smoothing; ``initial_level`` defaults to ``y[0]``."""
    arr = series(y)
    a = unit_interval(alpha, "alpha")
    l0 = float(arr[0]) if initial_level is None else finite_number(initial_level, "initial_level")
    return run_ses(arr, a, l0)


def holt(
    y: ArrayLike,
    alpha: float,
    beta: float,
    initial_level: float | None = None,
    initial_trend: float | None = None,
    damping: float | None = None,
) -> SmoothingResult:
    """Double exponential smoothing (Holt's linear trend, damped when ``damping`` is set).

    Defaults: ``initial_level = y[0]``, ``initial_trend = y[1] − y[0]``
    (so ``y`` needs two points unless ``initial_trend`` is given).
    """
    need = 1 if initial_trend is not None else 2
    arr = series(y, min_len=need, why="for the default initial_trend y[1] − y[0]")
    a = unit_interval(alpha, "alpha")
    b = unit_interval(beta, "beta")
    phi = 1.0 if damping is None else unit_interval(damping, "damping")
    l0 = float(arr[0]) if initial_level is None else finite_number(initial_level, "initial_level")
    b0 = (
        float(arr[1] - arr[0])
        if initial_trend is None
        else finite_number(initial_trend, "initial_trend")
    )
    return run_holt(arr, a, b, phi if damping is not None else None, l0, b0)


def run_ses(y: FloatArray, alpha: float, l0: float) -> SmoothingResult:
    """SES on validated input (``fit`` calls this in its inner loop)."""
    fitted, level = empty_like(y), empty_like(y)
    ses_kernel(y, alpha, l0, fitted, level)
    params = {"alpha": alpha, "initial_level": l0}
    return SmoothingResult("ses", y, fitted, level, None, None, dict(params))


def run_holt(
    y: FloatArray, alpha: float, beta: float, damping: float | None, l0: float, b0: float
) -> SmoothingResult:
    """Holt on validated input; ``damping=None`` is the undamped method."""
    fitted, level, trend = empty_like(y), empty_like(y), empty_like(y)
    phi = 1.0 if damping is None else damping
    holt_kernel(y, alpha, beta, phi, l0, b0, fitted, level, trend)
    params = {
        "alpha": alpha,
        "beta": beta,
        "damping": damping,
        "initial_level": l0,
        "initial_trend": b0,
    }
    return SmoothingResult("holt", y, fitted, level, trend, None, dict(params))
