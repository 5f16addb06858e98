"""Input checks shared by every method: one-line ``ValueError`` naming the argument."""

from __future__ import annotations

import math
import operator

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def series(y: ArrayLike, name: str = "y", *, min_len: int = 1, why: str = "") -> FloatArray:
    """``y`` as a contiguous 1-D float64 array of finite values, at least ``min_len`` long."""
    try:
        arr = np.ascontiguousarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: must be a 1-D array of numbers ({exc})") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name}: must be 1-D, got shape {arr.shape}")
    if arr.shape[0] < min_len:
        reason = f" {why}" if why else ""
        raise ValueError(f"{name}: needs at least {min_len} points{reason}, got {arr.shape[0]}")
    finite = np.isfinite(arr)
    if not finite.all():
        i = int(np.argmin(finite))
        raise ValueError(f"{name}: contains {arr[i]} at index {i}; values must be finite")
    return arr


def positive_series(y: FloatArray, name: str, why: str) -> None:
    """Reject zero or negative values (multiplicative models divide by them)."""
    bad = y <= 0.0
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{name}: {why} needs positive data, got {y[i]} at index {i}")


def unit_interval(value: object, name: str) -> float:
    """A smoothing constant: a real number in (0, 1]."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ValueError(f"{name}: must be a number in (0, 1], got {value!r}")
    v = float(value)
    if not (0.0 < v <= 1.0) or math.isnan(v):
        raise ValueError(f"{name}: must be in (0, 1], got {v}")
    return v


def finite_number(value: object, name: str) -> float:
    """An initial state value: any finite real number."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name}: must be a finite number, got {v}")
    return v


def positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """A window, period or horizon: an integer ≥ ``minimum`` (bools refused)."""
    if isinstance(value, bool):
        raise ValueError(f"{name}: must be an integer ≥ {minimum}, got {value!r}")
    try:
        v = operator.index(value)  # type: ignore[arg-type]
    except TypeError as exc:
        raise ValueError(f"{name}: must be an integer ≥ {minimum}, got {value!r}") from exc
    if v < minimum:
        raise ValueError(f"{name}: must be an integer ≥ {minimum}, got {v}")
    return v


def choice(value: object, name: str, allowed: tuple[object, ...]) -> object:
    """One of a fixed set of options."""
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name}: must be one of {shown}, got {value!r}")
    return value
