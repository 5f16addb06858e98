"""Holt-Winters against statsmodels, Hyndman's forecast formula and the handbook's example."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from reportflow.timeseries import fit, holt, holt_winters, hw_initial_values, ses

TOL = {"rtol": 1e-9, "atol": 1e-9}
PERIOD = 12


def statsmodels_fit(
    y: np.ndarray,
    seasonal: str,
    trend: str | None,
    damping: float | None,
    params: dict[str, Any],
    s0: np.ndarray,
) -> Any:
    model = ExponentialSmoothing(
        y,
        trend=trend,
        damped_trend=damping is not None,
        seasonal=seasonal,
        seasonal_periods=len(s0),
        initialization_method="known",
        initial_level=params["initial_level"],
        initial_seasonal=s0,
        **({"initial_trend": params["initial_trend"]} if trend else {}),
    )
    extra: dict[str, float] = {}
    if trend:
        extra["smoothing_trend"] = params["beta"]
    if damping is not None:
        extra["damping_trend"] = damping
    return model.fit(
        smoothing_level=params["alpha"],
        smoothing_seasonal=params["gamma"],
        optimized=False,
        **extra,
    )


CASES = [
    ("add", "add", None),
    ("add", None, None),
    ("mul", "add", None),
    ("mul", None, None),
    ("add", "add", 0.92),
    ("mul", "add", 0.85),
]


@pytest.mark.parametrize(("seasonal", "trend", "damping"), CASES)
def test_holt_winters_equals_statsmodels_in_sample(
    wavy: np.ndarray, seasonal: str, trend: str | None, damping: float | None
) -> None:
    beta = 0.15 if trend else None
    res = holt_winters(wavy, 0.4, beta, 0.3, PERIOD, seasonal, trend, damping=damping)  # type: ignore[arg-type]
    _, _, s0 = hw_initial_values(wavy, PERIOD, seasonal, trend)  # type: ignore[arg-type]
    sm = statsmodels_fit(wavy, seasonal, trend, damping, res.params, s0)
    np.testing.assert_allclose(res.fitted, sm.fittedvalues, **TOL)
    np.testing.assert_allclose(res.level, sm.level, **TOL)
    np.testing.assert_allclose(res.season, sm.season, **TOL)
    if trend:
        assert res.trend is not None
        np.testing.assert_allclose(res.trend, sm.trend, **TOL)
    else:
        assert res.trend is None
    assert res.sse == pytest.approx(sm.sse, rel=1e-9)


def hyndman_forecast(res: Any, h: int, m: int) -> float:
    """ŷ(T+h) = l(T) + φ_h·b(T) ⊕ s(T+h−m(k+1)), k = ⌊(h−1)/m⌋, from the state series."""
    t_end = len(res.y) - 1
    k = (h - 1) // m
    s = res.season[t_end + h - m * (k + 1)]
    phi = res.params["damping"] or 1.0
    b = 0.0 if res.trend is None else res.trend[-1]
    base = res.level[-1] + sum(phi**j for j in range(1, h + 1)) * b
    return float(base + s if res.params["seasonal"] == "add" else base * s)


@pytest.mark.parametrize(("seasonal", "trend", "damping"), CASES)
def test_forecasts_agree_with_statsmodels_except_at_issue_9538_horizons(
    wavy: np.ndarray, seasonal: str, trend: str | None, damping: float | None
) -> None:
    beta = 0.15 if trend else None
    res = holt_winters(wavy, 0.4, beta, 0.3, PERIOD, seasonal, trend, damping=damping)  # type: ignore[arg-type]
    _, _, s0 = hw_initial_values(wavy, PERIOD, seasonal, trend)  # type: ignore[arg-type]
    sm_fc = np.asarray(statsmodels_fit(wavy, seasonal, trend, damping, res.params, s0).forecast(40))
    ours = res.forecast(40)
    for h in range(1, 41):
        expected = hyndman_forecast(res, h, PERIOD)
        assert ours[h - 1] == pytest.approx(expected, rel=1e-12), f"h={h}"
        if h % PERIOD:
            assert ours[h - 1] == pytest.approx(sm_fc[h - 1], rel=1e-9), f"h={h}"


def test_issue_9538_horizons_use_the_last_seasonal_update(wavy: np.ndarray) -> None:
    """At h = m, 2m, … the forecast uses s(T), the season updated by the last point.

    statsmodels ≤ 0.15 uses s(T−m) there (statsmodels issue #9538); this test
    pins our side and, while statsmodels still differs, shows that it differs
    by exactly that stale seasonal term.
    """
    res = holt_winters(wavy, 0.4, 0.15, 0.3, PERIOD, "add", "add")
    _, _, s0 = hw_initial_values(wavy, PERIOD, "add", "add")
    sm_fc = np.asarray(statsmodels_fit(wavy, "add", "add", None, res.params, s0).forecast(24))
    assert res.season is not None
    assert res.trend is not None
    for h in (PERIOD, 2 * PERIOD):
        base = res.level[-1] + h * res.trend[-1]
        assert res.forecast(h)[-1] == pytest.approx(base + res.season[-1], rel=1e-12)
        if not np.isclose(sm_fc[h - 1], res.forecast(h)[-1], rtol=1e-9):
            assert sm_fc[h - 1] == pytest.approx(base + res.season[-1 - PERIOD], rel=1e-9)


def test_handbook_initial_values_for_the_quarterly_sales(sales: np.ndarray) -> None:
    """Handbook 6.4.3.5: initial trend and seasonal indices from the six years of sales.

    Yearly averages, by hand: 1520/4 = 380, 1676/4 = 419, 2042/4 = 510.5,
    2364/4 = 591, 2700/4 = 675, 2867/4 = 716.75. Initial trend, by hand:
    ((382−362) + (409−385) + (498−432) + (387−341)) / 4 / 4 = 156/16 = 9.75.
    Each seasonal index is the mean over the years of y / (that year's average).
    """
    yearly = [380.0, 419.0, 510.5, 591.0, 675.0, 716.75]
    level, trend, indices = hw_initial_values(sales, 4, "mul", "add", seasons=6)
    assert level == 380.0
    assert trend == 9.75
    expected = [sum(sales[4 * p + i] / yearly[p] for p in range(6)) / 6 for i in range(4)]
    np.testing.assert_allclose(indices, expected, rtol=1e-12)
    assert indices.sum() == pytest.approx(4.0, rel=1e-12)  # ratios to each year's mean
    _, _, additive = hw_initial_values(sales, 4, "add", "add", seasons=6)
    expected_add = [sum(sales[4 * p + i] - yearly[p] for p in range(6)) / 6 for i in range(4)]
    np.testing.assert_allclose(additive, expected_add, rtol=1e-12, atol=1e-12)


def test_handbook_constants_swap_and_equations(sales: np.ndarray) -> None:
    """Run the handbook's sales with its initial values and named constants.

    The handbook calls the trend constant γ and the seasonal constant β; ours
    are β (trend) and γ (season), as in statsmodels. Expected values come from
    the component-form equations evaluated by a separate loop (the handbook
    shows its fit as a plot, not a table, so there are no printed numbers).
    """
    nist_alpha, nist_beta_season, nist_gamma_trend = 0.5, 0.6, 0.4
    level0, trend0, s0 = hw_initial_values(sales, 4, "mul", "add", seasons=6)
    res = holt_winters(
        sales,
        alpha=nist_alpha,
        beta=nist_gamma_trend,
        gamma=nist_beta_season,
        period=4,
        seasonal="mul",
        initial_level=level0,
        initial_trend=trend0,
        initial_seasonal=s0,
    )
    lvl, b, seas, fitted = level0, float(trend0 or 0.0), list(s0), []
    for t, y in enumerate(sales):
        base = lvl + b
        fitted.append(base * seas[t])
        new = nist_alpha * y / seas[t] + (1 - nist_alpha) * base
        seas.append(nist_beta_season * y / base + (1 - nist_beta_season) * seas[t])
        b = nist_gamma_trend * (new - lvl) + (1 - nist_gamma_trend) * b
        lvl = new
    np.testing.assert_allclose(res.fitted, fitted, rtol=1e-12)
    np.testing.assert_allclose(
        res.forecast(4), [(lvl + h * b) * seas[-4 + h - 1] for h in range(1, 5)]
    )


def test_triple_smoothing_fits_the_seasonal_sales_best(sales: np.ndarray) -> None:
    # Handbook 6.4.3.6 compares the three methods on these sales: with the
    # constants chosen to minimise the MSE, only triple smoothing follows the season.
    single = fit(sales, "ses").result.mse
    double = fit(sales, "holt").result.mse
    triple = fit(sales, "holt_winters", period=4, seasonal="mul").result.mse
    assert triple < double
    assert triple < single
    assert triple < 0.2 * min(single, double)


def test_default_initial_values_are_documented(wavy: np.ndarray) -> None:
    res = holt_winters(wavy, 0.3, 0.1, 0.2, PERIOD)
    first, second = wavy[:PERIOD].mean(), wavy[PERIOD : 2 * PERIOD].mean()
    assert res.params["initial_level"] == pytest.approx(first)
    assert res.params["initial_trend"] == pytest.approx((second - first) / PERIOD)
    blocks = wavy[: 2 * PERIOD].reshape(2, PERIOD)
    s0 = (blocks - blocks.mean(axis=1, keepdims=True)).mean(axis=0)
    assert res.fitted[0] == pytest.approx(first + (second - first) / PERIOD + s0[0])
    assert ses(wavy, 0.5).params["initial_level"] == wavy[0]
    assert holt(wavy, 0.5, 0.5).params["initial_trend"] == wavy[1] - wavy[0]


def test_explicit_initial_values_need_only_one_point() -> None:
    res = holt_winters([10.0], 0.5, None, 0.5, 3, trend=None, initial_level=8.0,
                       initial_seasonal=[1.0, 2.0, 3.0])  # fmt: skip
    assert res.fitted[0] == 9.0
    # level 0.5·(10−1) + 0.5·8 = 8.5; seasons after one point: s1 = 0.5·(10−8) + 0.5·1 = 1.5
    np.testing.assert_allclose(res.forecast(4), [8.5 + 2.0, 8.5 + 3.0, 8.5 + 1.5, 8.5 + 2.0])
