"""Every bad input raises a one-line ValueError that names the argument."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from reportflow.timeseries import (
    cma,
    double_ma,
    ewma,
    holt,
    holt_winters,
    hw_initial_values,
    ses,
    sma,
    wma,
)

Y = [float(v) for v in range(1, 25)]

CASES: list[tuple[str, Callable[[], Any], str]] = [
    # the series itself
    ("nan", lambda: ses([1.0, math.nan, 3.0], 0.5), r"^y: contains nan at index 1"),
    ("inf", lambda: sma([1.0, 2.0, math.inf], 2), r"^y: contains inf at index 2"),
    ("2-D", lambda: ewma([[1.0, 2.0]], 0.5), r"^y: must be 1-D"),
    ("empty", lambda: ses([], 0.5), r"^y: needs at least 1 points"),
    ("text", lambda: ses(["a", "b"], 0.5), r"^y: must be a 1-D array of numbers"),
    # windows
    ("short for sma", lambda: sma([1.0, 2.0], 3), r"^y: needs at least 3 points for window=3"),
    ("short for cma", lambda: cma([1.0, 2.0, 3.0, 4.0], 4), r"^y: needs at least 5 points"),
    ("short for dma", lambda: double_ma(Y[:5], 3), r"^y: needs at least 6 points"),
    ("window 0", lambda: sma(Y, 0), r"^window: must be an integer ≥ 1, got 0"),
    ("window float", lambda: sma(Y, 2.5), r"^window: must be an integer"),  # type: ignore[arg-type]
    ("window bool", lambda: cma(Y, True), r"^window: must be an integer"),
    ("dma window 1", lambda: double_ma(Y, 1), r"^window: must be an integer ≥ 2"),
    ("weights sum 0", lambda: wma(Y, [1.0, -1.0]), r"^weights: must not sum to 0"),
    ("weights nan", lambda: wma(Y, [1.0, math.nan]), r"^weights: contains nan"),
    ("weights longer", lambda: wma(Y[:2], [1.0, 1.0, 1.0]), r"^y: needs at least 3 points"),
    # smoothing constants outside (0, 1]
    ("alpha 0", lambda: ses(Y, 0.0), r"^alpha: must be in \(0, 1\], got 0.0"),
    ("alpha > 1", lambda: ewma(Y, 1.5), r"^alpha: must be in \(0, 1\], got 1.5"),
    ("alpha nan", lambda: ses(Y, math.nan), r"^alpha: must be in \(0, 1\]"),
    ("alpha text", lambda: ses(Y, "0.5"), r"^alpha: must be a number"),  # type: ignore[arg-type]
    ("beta < 0", lambda: holt(Y, 0.5, -0.1), r"^beta: must be in \(0, 1\]"),
    ("damping 0", lambda: holt(Y, 0.5, 0.5, damping=0.0), r"^damping: must be in \(0, 1\]"),
    ("gamma > 1", lambda: holt_winters(Y, 0.5, 0.5, 1.2, 4), r"^gamma: must be in \(0, 1\]"),
    # initial values
    (
        "level inf",
        lambda: ses(Y, 0.5, initial_level=math.inf),
        r"^initial_level: must be a finite .*inf",
    ),
    ("trend text", lambda: holt(Y, 0.5, 0.5, initial_trend="x"), r"^initial_trend: "),  # type: ignore[arg-type]
    ("holt short", lambda: holt([1.0], 0.5, 0.5), r"^y: needs at least 2 points"),
    (
        "seasonal length",
        lambda: holt_winters(Y, 0.5, 0.5, 0.5, 4, initial_seasonal=[0.0, 0.0]),
        r"^initial_seasonal: needs period=4 values, got 2",
    ),
    (
        "seasonal not positive",
        lambda: holt_winters(Y, 0.5, 0.5, 0.5, 4, "mul", initial_seasonal=[1, 1, 0, 1]),
        r"^initial_seasonal: multiplicative seasonality needs positive data",
    ),
    # period and seasonality
    ("period 1", lambda: holt_winters(Y, 0.5, 0.5, 0.5, 1), r"^period: must be an integer ≥ 2"),
    ("short for period", lambda: holt_winters(Y, 0.5, 0.5, 0.5, 13), r"^y: needs at least 26"),
    (
        "short no trend",
        lambda: holt_winters(Y[:5], 0.5, None, 0.5, 6, trend=None),
        r"^y: needs at least 6 points",
    ),
    (
        "mul non-positive",
        lambda: holt_winters([*Y[:10], -1.0, *Y[11:]], 0.5, 0.5, 0.5, 4, "mul"),
        r"^y: multiplicative seasonality needs positive data, got -1.0 at index 10",
    ),
    (
        "mul zero init",
        lambda: hw_initial_values([0.0, *Y[1:]], 4, "mul"),
        r"^y: multiplicative seasonality needs positive data, got 0.0 at index 0",
    ),
    ("bad seasonal", lambda: holt_winters(Y, 0.5, 0.5, 0.5, 4, "both"), r"^seasonal: must be one"),  # type: ignore[arg-type]
    ("bad trend", lambda: holt_winters(Y, 0.5, 0.5, 0.5, 4, trend="mul"), r"^trend: must be one"),  # type: ignore[arg-type]
    (
        "beta without trend",
        lambda: holt_winters(Y, 0.5, 0.5, 0.5, 4, trend=None),
        r"^beta: must be None when trend is None",
    ),
    ("missing beta", lambda: holt_winters(Y, 0.5, None, 0.5, 4), r"^beta: must be a number"),
    ("seasons 1 with trend", lambda: hw_initial_values(Y, 4, seasons=1), r"^seasons: "),
    # horizons
    ("h 0", lambda: ses(Y, 0.5).forecast(0), r"^h: must be an integer ≥ 1, got 0"),
    ("h negative", lambda: double_ma(Y, 3).forecast(-2), r"^h: must be an integer ≥ 1"),
]


@pytest.mark.parametrize(("case", "call", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_the_argument(case: str, call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_integer_like_inputs_are_accepted() -> None:
    got = sma(np.arange(6), np.int64(2))
    assert got[-1] == 4.5
    assert ses([1, 2, 3], 1).level[-1] == 3.0
