"""Parameter fitting: lower SSE than the defaults, fixed constants held."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from reportflow.timeseries import fit, holt, holt_winters, ses


def test_fit_ses_beats_every_grid_point(sales: np.ndarray) -> None:
    found = fit(sales, "ses")
    assert found.optimized == ("alpha",)
    assert 0.0 < found.params["alpha"] <= 1.0
    for alpha in np.linspace(0.02, 1.0, 50):
        assert found.sse <= ses(sales, float(alpha)).sse * (1 + 1e-9)
    # The result is the plain method run with the chosen constants.
    assert found.sse == pytest.approx(ses(sales, found.params["alpha"]).sse)


def test_fit_holt_reduces_sse_versus_defaults(trend_data: np.ndarray) -> None:
    found = fit(trend_data, "holt")
    assert found.sse < holt(trend_data, 0.5, 0.5).sse
    for a, b in itertools.product(np.linspace(0.05, 1, 12), repeat=2):
        assert found.sse <= holt(trend_data, float(a), float(b)).sse * (1 + 1e-6)


def test_fit_holt_winters_reduces_sse(wavy: np.ndarray) -> None:
    found = fit(wavy, "holt_winters", period=12, seasonal="mul")
    assert set(found.optimized) == {"alpha", "beta", "gamma"}
    assert found.sse < holt_winters(wavy, 0.5, 0.5, 0.5, 12, "mul").sse
    assert found.result.params["seasonal"] == "mul"


def test_fit_holds_fixed_constants(wavy: np.ndarray) -> None:
    found = fit(wavy, "holt_winters", period=12, gamma=0.25, alpha=0.6)
    assert found.optimized == ("beta",)
    assert found.params["gamma"] == 0.25
    assert found.params["alpha"] == 0.6
    for beta in np.linspace(0.02, 1.0, 25):
        other = holt_winters(wavy, 0.6, float(beta), 0.25, 12)
        assert found.sse <= other.sse * (1 + 1e-6)


def test_fit_with_everything_fixed_just_runs(sales: np.ndarray) -> None:
    found = fit(sales, "holt", alpha=0.3, beta=0.2)
    assert found.optimized == ()
    assert found.sse == pytest.approx(holt(sales, 0.3, 0.2).sse)


def test_fit_without_trend_and_with_damping(wavy: np.ndarray) -> None:
    flat = fit(wavy, "holt_winters", period=12, trend=None)
    assert flat.optimized == ("alpha", "gamma")
    assert flat.result.trend is None
    damped = fit(wavy, "holt", damped=True)
    assert "damping" in damped.optimized
    assert 0.8 <= damped.params["damping"] <= 0.995
    assert damped.sse <= fit(wavy, "holt", damping=0.9).sse * (1 + 1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "arima"}, r"^method: must be one of"),
        ({"method": "ses", "beta": 0.3}, r"^beta: not an argument of ses\(\)"),
        ({"method": "ses", "damped": True}, r"^damped: "),
        ({"method": "holt", "alpha": 2.0}, r"^alpha: must be in \(0, 1\]"),
        ({"method": "holt_winters"}, r"^period: required"),
    ],
)
def test_fit_bad_input(sales: np.ndarray, kwargs: dict[str, object], message: str) -> None:
    method = kwargs.pop("method")
    with pytest.raises(ValueError, match=message):
        fit(sales, method, **kwargs)  # type: ignore[arg-type]
