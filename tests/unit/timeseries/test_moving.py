"""Moving averages against pandas and against the handbook's definitions written out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from reportflow.timeseries import cma, double_ma, sma, wma


@pytest.mark.parametrize("window", [1, 2, 3, 4, 7, 24])
def test_sma_equals_pandas_rolling_mean(sales: np.ndarray, window: int) -> None:
    expected = pd.Series(sales).rolling(window).mean().to_numpy()
    got = sma(sales, window)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9, equal_nan=True)
    assert np.isnan(got[: window - 1]).all()


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.integers(5, 200), elements=st.floats(-1e6, 1e6)),
    st.integers(1, 5),
)
def test_sma_matches_pandas_on_arbitrary_data(y: np.ndarray, window: int) -> None:
    expected = pd.Series(y).rolling(window).mean().to_numpy()
    np.testing.assert_allclose(sma(y, window), expected, rtol=1e-9, atol=1e-6, equal_nan=True)


def test_cma_odd_window_is_the_centred_mean(sales: np.ndarray) -> None:
    got = cma(sales, 3)
    assert np.isnan(got[0])
    assert np.isnan(got[-1])
    for t in range(1, len(sales) - 1):
        assert got[t] == pytest.approx((sales[t - 1] + sales[t] + sales[t + 1]) / 3, rel=1e-12)


def test_cma_even_window_is_the_two_by_window_average(sales: np.ndarray) -> None:
    # Handbook 6.4.2: centring an even window averages two adjacent means; for
    # window 4 that is weights 1/8, 1/4, 1/4, 1/4, 1/8 over y[t-2] .. y[t+2].
    got = cma(sales, 4)
    assert np.isnan(got[:2]).all()
    assert np.isnan(got[-2:]).all()
    weights = np.array([0.5, 1, 1, 1, 0.5]) / 4
    for t in range(2, len(sales) - 2):
        assert got[t] == pytest.approx(float(weights @ sales[t - 2 : t + 3]), rel=1e-12)


def test_cma_even_window_equals_pandas_double_rolling(sales: np.ndarray) -> None:
    s = pd.Series(sales)
    expected = s.rolling(4).mean().rolling(2).mean().shift(-2).to_numpy()
    np.testing.assert_allclose(cma(sales, 4), expected, rtol=1e-12, equal_nan=True)


def test_wma_newest_point_gets_the_last_weight() -> None:
    y = np.array([1.0, 2.0, 4.0, 8.0])
    got = wma(y, [1, 2, 3])
    assert np.isnan(got[:2]).all()
    assert got[2] == pytest.approx((1 * 1 + 2 * 2 + 3 * 4) / 6)
    assert got[3] == pytest.approx((1 * 2 + 2 * 4 + 3 * 8) / 6)


def test_wma_with_equal_weights_is_sma(sales: np.ndarray) -> None:
    np.testing.assert_allclose(wma(sales, np.ones(5)), sma(sales, 5), rtol=1e-12, equal_nan=True)


def test_double_ma_level_slope_and_forecast(sales: np.ndarray) -> None:
    w = 4
    res = double_ma(sales, w)
    m1 = pd.Series(sales).rolling(w).mean()
    m2 = m1.rolling(w).mean()
    level = (2 * m1 - m2).to_numpy()
    slope = (2 / (w - 1) * (m1 - m2)).to_numpy()
    np.testing.assert_allclose(res.level, level, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(res.trend, slope, rtol=1e-12, equal_nan=True)
    assert np.isnan(res.level[: 2 * w - 2]).all()
    assert not np.isnan(res.level[2 * w - 2])
    np.testing.assert_allclose(res.forecast(3), level[-1] + np.array([1, 2, 3]) * slope[-1])
    assert res.fitted[2 * w - 1] == pytest.approx(level[2 * w - 2] + slope[2 * w - 2])
    assert np.isnan(res.fitted[: 2 * w - 1]).all()


def test_double_ma_follows_a_straight_line_exactly() -> None:
    y = 3.0 + 2.5 * np.arange(30)
    res = double_ma(y, 5)
    np.testing.assert_allclose(res.forecast(4), 3.0 + 2.5 * np.arange(30, 34), rtol=1e-12)
    assert res.sse == pytest.approx(0.0, abs=1e-18)
