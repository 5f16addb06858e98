"""Error measures of one-step-ahead forecasts (NIST/SEMATECH e-Handbook 6.4.3.1).

Every measure takes the observations ``y`` and the forecasts of those same
points, aligned (``forecast[t]`` predicts ``y[t]``). Positions where the
forecast is NaN (a moving average before its window is full) carry no
forecast and are left out; ``y`` itself must be finite.

    e[t] = y[t] - forecast[t]
    SSE  = Σ e²          MSE = SSE / n
    MAE  = Σ |e| / n     MAPE = 100 · Σ |e / y| / n   (percent)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from reportflow.timeseries._validate import FloatArray, series


def _errors(y: ArrayLike, forecast: ArrayLike) -> tuple[FloatArray, FloatArray]:
    obs = series(y, "y")
    try:
        fc = np.asarray(forecast, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"forecast: must be a 1-D array of numbers ({exc})") from exc
    if fc.shape != obs.shape:
        raise ValueError(f"forecast: must have the shape of y {obs.shape}, got {fc.shape}")
    if np.isinf(fc).any():
        raise ValueError(f"forecast: contains inf at index {int(np.argmax(np.isinf(fc)))}")
    keep = ~np.isnan(fc)
    if not keep.any():
        raise ValueError("forecast: has no values (all NaN)")
    return obs[keep], obs[keep] - fc[keep]


def sse(y: ArrayLike, forecast: ArrayLike) -> float:
    """Sum of squared one-step-ahead errors."""
    _, e = _errors(y, forecast)
    return float(e @ e)


def mse(y: ArrayLike, forecast: ArrayLike) -> float:
    """Mean squared error."""
    _, e = _errors(y, forecast)
    return float(e @ e) / len(e)


def mae(y: ArrayLike, forecast: ArrayLike) -> float:
    """Mean absolute error."""
    _, e = _errors(y, forecast)
    return float(np.abs(e).mean())


def mape(y: ArrayLike, forecast: ArrayLike) -> float:
    """Mean absolute percentage error, in percent; undefined where ``y`` is 0."""
    obs, e = _errors(y, forecast)
    zero = obs == 0.0
    if zero.any():
        raise ValueError("y: MAPE is undefined where y is 0")
    return float(np.abs(e / obs).sum()) * 100.0 / len(e)


class FittedErrors:
    """Error measures of one-step-ahead forecasts, for result objects that
    hold the series ``y`` and its ``fitted`` values."""

    y: FloatArray

    if TYPE_CHECKING:  # a field in one result, a computed property in another

        @property
        def fitted(self) -> FloatArray: ...

    @property
    def resid(self) -> FloatArray:
        """One-step-ahead errors ``y − fitted``."""
        return self.y - self.fitted

    @property
    def sse(self) -> float:
        return sse(self.y, self.fitted)

    @property
    def mse(self) -> float:
        return mse(self.y, self.fitted)

    @property
    def mae(self) -> float:
        return mae(self.y, self.fitted)

    @property
    def mape(self) -> float:
        return mape(self.y, self.fitted)
