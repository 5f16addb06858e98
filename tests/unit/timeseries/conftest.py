"""Shared series for the timeseries tests."""

from __future__ import annotations

import numpy as np
import pytest

# NIST/SEMATECH e-Handbook 6.4.3.5: six years of quarterly sales (season length 4).
HANDBOOK_SALES = np.array(
    [362, 385, 432, 341, 382, 409, 498, 387, 473, 513, 582, 474,
     544, 582, 681, 557, 628, 707, 773, 592, 627, 725, 854, 661],
    dtype=np.float64,
)  # fmt: skip

# NIST/SEMATECH e-Handbook 6.4.3.3-6.4.3.4: the data set used for double smoothing.
HANDBOOK_TREND = np.array([6.4, 5.6, 7.8, 8.8, 11.0, 11.6, 16.7, 15.3, 21.6, 22.4])


def seasonal_series(n: int, period: int, seed: int) -> np.ndarray:
    """A positive series with trend, seasonality and noise (never near 0)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 200.0 + 0.8 * t + 25.0 * np.sin(2 * np.pi * t / period) + rng.normal(0.0, 3.0, n)


@pytest.fixture
def sales() -> np.ndarray:
    return HANDBOOK_SALES.copy()


@pytest.fixture
def trend_data() -> np.ndarray:
    return HANDBOOK_TREND.copy()


@pytest.fixture
def wavy() -> np.ndarray:
    return seasonal_series(120, 12, seed=7)
