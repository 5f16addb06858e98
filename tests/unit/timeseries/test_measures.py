"""Error measures of one-step-ahead forecasts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reportflow.timeseries import mae, mape, mse, sma, sse


def test_measures_by_hand() -> None:
    y = [1.0, 2.0, 4.0]
    forecast = [math.nan, 1.0, 3.0]  # no forecast for the first point
    # errors 1 and 1: SSE 2, MSE 1, MAE 1, MAPE (1/2 + 1/4)/2 = 37.5 %
    assert sse(y, forecast) == 2.0
    assert mse(y, forecast) == 1.0
    assert mae(y, forecast) == 1.0
    assert mape(y, forecast) == pytest.approx(37.5)


def test_signed_errors_do_not_cancel() -> None:
    y = [10.0, 10.0]
    forecast = [12.0, 8.0]
    assert mae(y, forecast) == 2.0
    assert sse(y, forecast) == 8.0
    assert mape(y, forecast) == pytest.approx(20.0)


def test_measures_of_a_moving_average_forecast(sales: np.ndarray) -> None:
    # A trailing mean at t forecasts t+1; the first `window` points have none.
    forecast = np.concatenate(([math.nan], sma(sales, 3)[:-1]))
    e = sales[3:] - forecast[3:]
    assert sse(sales, forecast) == pytest.approx(float(e @ e))
    assert mse(sales, forecast) == pytest.approx(float(e @ e) / len(e))


@pytest.mark.parametrize(
    ("y", "forecast", "culprit"),
    [
        ([1.0, 2.0], [1.0], "forecast"),
        ([1.0, math.nan], [1.0, 2.0], "y"),
        ([1.0, 2.0], [math.nan, math.nan], "forecast"),
        ([1.0, 2.0], [math.inf, 2.0], "forecast"),
        ([1.0, 2.0], ["a", "b"], "forecast"),
    ],
)
def test_bad_measure_input_names_the_argument(
    y: list[float], forecast: list[object], culprit: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{culprit}: "):
        sse(y, forecast)


def test_mape_refuses_zero_observations() -> None:
    with pytest.raises(ValueError, match=r"^y: MAPE is undefined where y is 0"):
        mape([0.0, 1.0], [1.0, 1.0])
