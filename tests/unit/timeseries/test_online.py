"""Online forms equal their batch counterparts point by point."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from reportflow.timeseries import (
    OnlineEWMA,
    OnlineHolt,
    OnlineHoltWinters,
    ewma,
    holt,
    holt_winters,
    ses,
)


def run_online(model: OnlineEWMA | OnlineHolt | OnlineHoltWinters, y: np.ndarray) -> np.ndarray:
    return np.array([model.update(v) for v in y])


def test_online_ewma_equals_ses_and_ewma(sales: np.ndarray) -> None:
    model = OnlineEWMA(0.3)
    out = run_online(model, sales)
    batch = ses(sales, 0.3)
    np.testing.assert_allclose(out[:-1], batch.fitted[1:], rtol=1e-12)
    np.testing.assert_allclose(out, ewma(sales, 0.3), rtol=1e-12)
    np.testing.assert_allclose(model.forecast(3), batch.forecast(3), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.integers(2, 100), elements=st.floats(-1e4, 1e4)),
    st.floats(0.01, 1.0),
    st.floats(0.01, 1.0),
)
def test_online_holt_equals_batch_for_any_data(y: np.ndarray, alpha: float, beta: float) -> None:
    model = OnlineHolt(alpha, beta)
    out = run_online(model, y)
    batch = holt(y, alpha, beta)
    # The default initial trend y[1] − y[0] needs y[1]: from then on, equal.
    assert out[0] == y[0]
    np.testing.assert_allclose(out[1:-1], batch.fitted[2:], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(model.forecast(4), batch.forecast(4), rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("damping", [None, 0.9])
def test_online_holt_with_initial_values_is_ready_at_once(
    trend_data: np.ndarray, damping: float | None
) -> None:
    model = OnlineHolt(0.5, 0.3, damping=damping, initial_level=5.0, initial_trend=0.5)
    assert model.ready
    np.testing.assert_allclose(model.forecast(1), [5.0 + (damping or 1.0) * 0.5])
    out = run_online(model, trend_data)
    batch = holt(trend_data, 0.5, 0.3, initial_level=5.0, initial_trend=0.5, damping=damping)
    np.testing.assert_allclose(out[:-1], batch.fitted[1:], rtol=1e-12)
    np.testing.assert_allclose(model.forecast(6), batch.forecast(6), rtol=1e-12)


@pytest.mark.parametrize(
    ("seasonal", "trend", "damping"),
    [("add", "add", None), ("mul", "add", None), ("add", None, None), ("mul", "add", 0.9)],
)
def test_online_holt_winters_equals_batch(
    wavy: np.ndarray, seasonal: str, trend: str | None, damping: float | None
) -> None:
    beta = 0.1 if trend else None
    kwargs = {"seasonal": seasonal, "trend": trend, "damping": damping}
    model = OnlineHoltWinters(0.4, beta, 0.3, 12, **kwargs)  # type: ignore[arg-type]
    out = run_online(model, wavy)
    batch = holt_winters(wavy, 0.4, beta, 0.3, 12, **kwargs)  # type: ignore[arg-type]
    warm = 24 if trend else 12
    # While the initial periods fill, the model answers with the last value.
    np.testing.assert_array_equal(out[: warm - 1], wavy[: warm - 1])
    np.testing.assert_allclose(out[warm - 1 : -1], batch.fitted[warm:], rtol=1e-12)
    np.testing.assert_allclose(model.forecast(30), batch.forecast(30), rtol=1e-12)
    assert model.level == pytest.approx(batch.level[-1], rel=1e-12)


def test_online_holt_winters_with_initial_values(wavy: np.ndarray) -> None:
    s0 = np.sin(np.arange(12))
    model = OnlineHoltWinters(
        0.4, 0.2, 0.3, 12, initial_level=200.0, initial_trend=1.0, initial_seasonal=s0
    )
    assert model.ready
    out = run_online(model, wavy)
    batch = holt_winters(
        wavy, 0.4, 0.2, 0.3, 12, initial_level=200.0, initial_trend=1.0, initial_seasonal=s0
    )
    np.testing.assert_allclose(out[:-1], batch.fitted[1:], rtol=1e-12)
    np.testing.assert_allclose(model.forecast(25), batch.forecast(25), rtol=1e-12)


def test_online_state_does_not_grow(wavy: np.ndarray) -> None:
    model = OnlineHoltWinters(0.4, 0.2, 0.3, 12)
    run_online(model, wavy)
    assert len(model._ring) == 12
    assert model._pending == []


@pytest.mark.parametrize(
    ("make", "culprit"),
    [
        (lambda: OnlineEWMA(0.0), "alpha"),
        (lambda: OnlineHolt(0.5, 1.5), "beta"),
        (lambda: OnlineHolt(0.5, 0.5, damping=0.0), "damping"),
        (lambda: OnlineHoltWinters(0.5, 0.5, 2.0, 4), "gamma"),
        (lambda: OnlineHoltWinters(0.5, 0.5, 0.5, 1), "period"),
        (lambda: OnlineHoltWinters(0.5, 0.5, 0.5, 4, seasonal="x"), "seasonal"),  # type: ignore[arg-type]
        (lambda: OnlineHoltWinters(0.5, 0.5, 0.5, 4, trend=None), "beta"),
    ],
)
def test_online_bad_parameters(make: object, culprit: str) -> None:
    with pytest.raises(ValueError, match=rf"^{culprit}: "):
        make()  # type: ignore[operator]


def test_online_bad_points() -> None:
    with pytest.raises(ValueError, match=r"^y: must be a finite number, got nan"):
        OnlineEWMA(0.5).update(float("nan"))
    mul = OnlineHoltWinters(0.5, 0.5, 0.5, 4, seasonal="mul")
    with pytest.raises(ValueError, match=r"^y: multiplicative seasonality needs positive data"):
        mul.update(0.0)
    with pytest.raises(ValueError, match=r"^forecast: "):
        OnlineHolt(0.5, 0.5).forecast(1)
    with pytest.raises(ValueError, match=r"^h: "):
        OnlineEWMA(0.5, initial_level=1.0).forecast(0)
