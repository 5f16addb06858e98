"""Choose smoothing constants that minimise the one-step-ahead SSE.

The SSE surface of Holt-Winters is not convex, so the search runs in two
stages: a coarse grid (0.1, 0.3, 0.5, 0.7, 0.9 per free constant; damping
0.8, 0.9, 0.98) picks a start, then scipy's bounded L-BFGS-B refines it
within [1e-4, 1] (damping within [0.8, 0.995], Hyndman's usual range, when
``damped=True``). Constants passed in ``fixed`` are held where given; initial
values are never optimised (they come from the method's defaults or from
``fixed``), so the result is reproducible with the plain method call.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize

from reportflow.timeseries.exponential import holt, ses
from reportflow.timeseries.holt_winters import holt_winters
from reportflow.timeseries.result import SmoothingResult

_METHODS: dict[str, Callable[..., SmoothingResult]] = {
    "ses": ses,
    "holt": holt,
    "holt_winters": holt_winters,
}
_GRID = (0.1, 0.3, 0.5, 0.7, 0.9)
_DAMPING_GRID = (0.8, 0.9, 0.98)
_LOW = 1e-4


@dataclass(frozen=True)
class FitResult:
    """The best run found, the constants it used, and which of them were searched."""

    result: SmoothingResult
    params: dict[str, float]
    optimized: tuple[str, ...]

    @property
    def sse(self) -> float:
        return self.result.sse


def _free_names(method: str, fixed: dict[str, Any], damped: bool) -> list[str]:
    names = ["alpha"]
    if method == "holt" or (method == "holt_winters" and fixed.get("trend", "add") is not None):
        names.append("beta")
    if method == "holt_winters":
        names.append("gamma")
    if damped:
        if method == "ses" or (method == "holt_winters" and fixed.get("trend", "add") is None):
            raise ValueError(f"damped: method {method!r} without a trend has nothing to damp")
        names.append("damping")
    return [n for n in names if fixed.get(n) is None]


def fit(y: ArrayLike, method: str, *, damped: bool = False, **fixed: Any) -> FitResult:
    """Fit ``method`` ("ses", "holt" or "holt_winters") to ``y`` by least one-step SSE.

    ``fixed`` holds the method's other arguments (``period`` is required for
    Holt-Winters) and any constants to keep as given, e.g.
    ``fit(y, "holt_winters", period=12, seasonal="mul", gamma=0.3)``.
    ``damped=True`` also searches Holt's damping φ.
    """
    if method not in _METHODS:
        raise ValueError(f"method: must be one of {', '.join(map(repr, _METHODS))}, got {method!r}")
    func = _METHODS[method]
    accepted = set(inspect.signature(func).parameters) - {"y"}
    for key in fixed:
        if key not in accepted:
            raise ValueError(f"{key}: not an argument of {method}()")
    if method == "holt_winters" and "period" not in fixed:
        raise ValueError("period: required to fit holt_winters")
    free = _free_names(method, fixed, damped)
    if method == "holt_winters" and fixed.get("trend", "add") is None:
        fixed.setdefault("beta", None)

    def run(values: tuple[float, ...]) -> SmoothingResult:
        return func(y, **fixed, **dict(zip(free, values, strict=True)))

    # Validate everything once (bad y, period, fixed constants) before searching.
    start_point = tuple(0.5 if n != "damping" else 0.9 for n in free)
    best = run(start_point)
    if not free:
        return FitResult(best, _constants(best), ())

    def objective(values: np.ndarray[Any, Any]) -> float:
        try:
            e = run(tuple(float(v) for v in values)).resid
        except ValueError:
            return float("inf")
        value = float(e @ e)
        return value if np.isfinite(value) else 1e300

    grids = [_DAMPING_GRID if n == "damping" else _GRID for n in free]
    start = min(itertools.product(*grids), key=lambda p: objective(np.asarray(p)))
    bounds = [(0.8, 0.995) if n == "damping" else (_LOW, 1.0) for n in free]
    found = minimize(objective, np.asarray(start), method="L-BFGS-B", bounds=bounds)
    candidates = [
        np.asarray(start),
        np.clip(found.x, [b[0] for b in bounds], [b[1] for b in bounds]),
    ]
    winner = min(candidates, key=objective)
    best = run(tuple(float(v) for v in winner))
    return FitResult(best, _constants(best), tuple(free))


def _constants(result: SmoothingResult) -> dict[str, float]:
    return {
        k: float(v)
        for k, v in result.params.items()
        if k in ("alpha", "beta", "gamma", "damping") and isinstance(v, float)
    }
