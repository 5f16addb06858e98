"""Single and double exponential smoothing against pandas, statsmodels and the handbook."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from statsmodels.tsa.holtwinters import Holt, SimpleExpSmoothing

from reportflow.timeseries import ewma, holt, ses

TOL = {"rtol": 1e-9, "atol": 1e-9}


@pytest.mark.parametrize("alpha", [0.05, 0.3, 0.9, 1.0])
def test_ewma_equals_pandas_adjust_false(sales: np.ndarray, alpha: float) -> None:
    expected = pd.Series(sales).ewm(alpha=alpha, adjust=False).mean().to_numpy()
    np.testing.assert_allclose(ewma(sales, alpha), expected, **TOL)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 300), elements=st.floats(-1e6, 1e6)),
    st.floats(0.001, 1.0),
)
def test_ewma_matches_pandas_on_arbitrary_data(y: np.ndarray, alpha: float) -> None:
    expected = pd.Series(y).ewm(alpha=alpha, adjust=False).mean().to_numpy()
    np.testing.assert_allclose(ewma(y, alpha), expected, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize(("alpha", "l0"), [(0.2, None), (0.7, 400.0), (1.0, 0.0)])
def test_ses_equals_statsmodels(wavy: np.ndarray, alpha: float, l0: float | None) -> None:
    res = ses(wavy, alpha, initial_level=l0)
    level0 = wavy[0] if l0 is None else l0
    sm = SimpleExpSmoothing(wavy, initialization_method="known", initial_level=level0).fit(
        smoothing_level=alpha, optimized=False
    )
    assert res.fitted[0] == level0
    np.testing.assert_allclose(res.fitted, sm.fittedvalues, **TOL)
    np.testing.assert_allclose(res.level, sm.level, **TOL)
    np.testing.assert_allclose(res.forecast(7), sm.forecast(7), **TOL)
    assert res.sse == pytest.approx(sm.sse, rel=1e-9)


@pytest.mark.parametrize("damping", [None, 0.9, 0.98])
@pytest.mark.parametrize(("alpha", "beta"), [(0.3, 0.1), (0.8, 0.5), (1.0, 1.0)])
def test_holt_equals_statsmodels(
    wavy: np.ndarray, alpha: float, beta: float, damping: float | None
) -> None:
    res = holt(wavy, alpha, beta, damping=damping)
    sm_model = Holt(
        wavy,
        damped_trend=damping is not None,
        initialization_method="known",
        initial_level=wavy[0],
        initial_trend=wavy[1] - wavy[0],
    )
    extra = {} if damping is None else {"damping_trend": damping}
    sm = sm_model.fit(smoothing_level=alpha, smoothing_trend=beta, optimized=False, **extra)
    np.testing.assert_allclose(res.fitted, sm.fittedvalues, **TOL)
    np.testing.assert_allclose(res.level, sm.level, **TOL)
    np.testing.assert_allclose(res.trend, sm.trend, **TOL)
    np.testing.assert_allclose(res.forecast(12), sm.forecast(12), **TOL)


def test_holt_explicit_initial_values_equal_statsmodels(wavy: np.ndarray) -> None:
    res = holt(wavy, 0.4, 0.2, initial_level=150.0, initial_trend=-2.0)
    sm = Holt(wavy, initialization_method="known", initial_level=150.0, initial_trend=-2.0).fit(
        smoothing_level=0.4, smoothing_trend=0.2, optimized=False
    )
    assert res.fitted[0] == pytest.approx(148.0)
    np.testing.assert_allclose(res.fitted, sm.fittedvalues, **TOL)
    np.testing.assert_allclose(res.forecast(5), sm.forecast(5), **TOL)


def test_ses_reproduces_the_handbook_recursion(sales: np.ndarray) -> None:
    """Handbook 6.4.3.1: S₂ = y₁, S_t = α·y_{t−1} + (1−α)·S_{t−1} (S_t forecasts y_t).

    The handbook's worked numbers were not available to copy, so the expected
    values are the handbook's formula evaluated here by a separate loop.
    """
    alpha = 0.3
    s = {2: sales[0]}
    for t in range(3, len(sales) + 2):
        s[t] = alpha * sales[t - 2] + (1 - alpha) * s[t - 1]
    res = ses(sales, alpha)
    # fitted[i] forecasts y[i] (0-based) = the handbook's S_{i+1} (1-based).
    np.testing.assert_allclose(res.fitted[1:], [s[t] for t in range(2, len(sales) + 1)], rtol=1e-12)
    assert res.forecast(1)[0] == pytest.approx(s[len(sales) + 1], rel=1e-12)


def test_holt_reproduces_the_handbook_double_smoothing(trend_data: np.ndarray) -> None:
    """Handbook 6.4.3.3: S₁ = y₁, b₁ = y₂ − y₁ at the first observation, then
    S_t = α·y_t + (1−α)(S_{t−1} + b_{t−1}), b_t = γ(S_t − S_{t−1}) + (1−γ)·b_{t−1},
    F_{t+m} = S_t + m·b_t, on the handbook's data set for double smoothing.

    Expected values are the handbook's equations evaluated by a separate loop
    (the handbook's printed table was not available to copy). Our initial
    state sits before y[0]; l₋₁ = 2y[0] − y[1], b₋₁ = y[1] − y[0] puts the
    handbook's S₁, b₁ at y[0].
    """
    y = trend_data
    alpha, gamma = 0.4, 0.6
    s, b = [y[0]], [y[1] - y[0]]
    for t in range(1, len(y)):
        s.append(alpha * y[t] + (1 - alpha) * (s[-1] + b[-1]))
        b.append(gamma * (s[-1] - s[-2]) + (1 - gamma) * b[-1])
    res = holt(y, alpha, gamma, initial_level=2 * y[0] - y[1], initial_trend=y[1] - y[0])
    np.testing.assert_allclose(res.level, s, rtol=1e-12)
    np.testing.assert_allclose(res.trend, b, rtol=1e-12)
    np.testing.assert_allclose(res.fitted[1:], np.add(s, b)[:-1], rtol=1e-12)
    np.testing.assert_allclose(res.forecast(3), s[-1] + np.arange(1, 4) * b[-1], rtol=1e-12)


def test_holt_tracks_a_trend_better_than_ses(trend_data: np.ndarray) -> None:
    # Handbook 6.4.3.3: single smoothing lags a trend; double smoothing follows it.
    y = trend_data
    assert holt(y, 0.5, 0.5).sse < ses(y, 0.5).sse


def test_measures_on_results_match_their_definitions(sales: np.ndarray) -> None:
    res = holt(sales, 0.5, 0.3)
    e = sales - res.fitted
    assert res.sse == pytest.approx(float(np.sum(e**2)))
    assert res.mse == pytest.approx(float(np.mean(e**2)))
    assert res.mae == pytest.approx(float(np.mean(np.abs(e))))
    assert res.mape == pytest.approx(float(np.mean(np.abs(e / sales))) * 100)
    np.testing.assert_array_equal(res.resid, e)
