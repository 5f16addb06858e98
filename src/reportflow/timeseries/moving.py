"""Moving averages (NIST/SEMATECH e-Handbook 6.4.2).

sma:  M[t] = (y[t−w+1] + … + y[t]) / w                     trailing, NaN for t < w−1
cma:  odd w = 2k+1:  C[t] = (y[t−k] + … + y[t+k]) / w       NaN in the first and last k
      even w = 2k:   C[t] = (M[t+k−1] + M[t+k]) / 2         the 2×w average: weights
                     ½, 1, …, 1, ½ over y[t−k] … y[t+k], divided by w
wma:  W[t] = Σⱼ wⱼ·y[t−w+1+j] / Σⱼ wⱼ                      weights[-1] on the newest point
double_ma (linear trend, 6.4.2.2 / Hanke): M' = sma(M, w)
      a[t] = 2·M[t] − M'[t],  b[t] = 2/(w−1)·(M[t] − M'[t]),  ŷ[t+h] = a[t] + h·b[t]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from reportflow.timeseries import measures
from reportflow.timeseries._validate import FloatArray, positive_int, series


def _window(window: object, n_min_factor: int = 1) -> int:
    return positive_int(window, "window", minimum=n_min_factor)


def rolling_mean(y: FloatArray, w: int) -> FloatArray:
    """Trailing mean of validated ``y`` over ``w`` points, NaN before the window fills.

    A running sum of ``y − mean(y)``: O(n) for any window, and centring the
    data first keeps the running sum small, so the difference of two sums
    loses little precision (agrees with pandas ``rolling().mean()`` to ~1e-12).
    """
    out = np.full(y.shape[0], np.nan)
    centre = float(y.mean())
    csum = np.concatenate(([0.0], np.cumsum(y - centre)))
    out[w - 1 :] = (csum[w:] - csum[:-w]) / w + centre
    return out


def sma(y: ArrayLike, window: int) -> FloatArray:
    """Trailing simple moving average; equal to pandas ``rolling(window).mean()``."""
    w = _window(window)
    arr = series(y, min_len=w, why=f"for window={w}")
    return rolling_mean(arr, w)


def cma(y: ArrayLike, window: int) -> FloatArray:
    """Centred moving average; an even window uses the 2×window average."""
    w = _window(window)
    need = w + 1 if w % 2 == 0 else w
    arr = series(y, min_len=need, why=f"for a centred window={w}")
    m = rolling_mean(arr, w)
    out = np.full(arr.shape[0], np.nan)
    k = w // 2
    n = arr.shape[0]
    if w % 2 == 1:
        out[k : n - k] = m[2 * k :]
    else:
        out[k : n - k] = (m[2 * k - 1 : n - 1] + m[2 * k :]) / 2.0
    return out


def wma(y: ArrayLike, weights: ArrayLike) -> FloatArray:
    """Trailing weighted moving average; ``weights[-1]`` weighs the newest point."""
    wts = series(weights, "weights")
    total = float(wts.sum())
    if total == 0.0:
        raise ValueError("weights: must not sum to 0")
    w = wts.shape[0]
    arr = series(y, min_len=w, why=f"for {w} weights")
    out = np.full(arr.shape[0], np.nan)
    out[w - 1 :] = np.convolve(arr, wts[::-1], mode="valid") / total
    return out


@dataclass(frozen=True, eq=False)
class DoubleMAResult(measures.FittedErrors):
    """Double moving average: level ``a``, slope ``b`` (NaN until 2·window−1 points)."""

    window: int
    y: FloatArray = field(repr=False)
    level: FloatArray = field(repr=False)
    trend: FloatArray = field(repr=False)

    @property
    def fitted(self) -> FloatArray:
        """One-step-ahead forecasts ``a[t−1] + b[t−1]``, aligned with ``y`` (NaN where none)."""
        out = np.full(self.y.shape[0], np.nan)
        out[1:] = self.level[:-1] + self.trend[:-1]
        return out

    def forecast(self, h: int) -> FloatArray:
        """``a[T] + k·b[T]`` for k = 1..h."""
        steps = positive_int(h, "h")
        ahead = np.arange(1, steps + 1, dtype=np.float64)
        return float(self.level[-1]) + ahead * float(self.trend[-1])


def double_ma(y: ArrayLike, window: int) -> DoubleMAResult:
    """Double moving average for a series with a linear trend."""
    w = _window(window, 2)
    arr = series(y, min_len=2 * w, why=f"for a double moving average of window={w}")
    m1 = rolling_mean(arr, w)
    m2 = np.full(arr.shape[0], np.nan)
    m2[w - 1 :] = rolling_mean(m1[w - 1 :], w)
    level = 2.0 * m1 - m2
    trend = 2.0 / (w - 1) * (m1 - m2)
    return DoubleMAResult(w, arr, level, trend)
