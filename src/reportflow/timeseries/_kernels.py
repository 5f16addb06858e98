"""The smoothing recursions as plain loops over float64 arrays.

Each kernel writes into arrays the caller allocated (numba compiles loops that
fill preallocated arrays best, and the caller owns the memory layout).
Notation follows Hyndman & Athanasopoulos (component form), which is also what
statsmodels implements; ``phi`` is the trend damping (1.0 = undamped).

    fitted[t] = one-step-ahead forecast of y[t] from the state after y[t-1]
    level[t], trend[t], season[t] = the states after y[t]

With no trend the callers pass ``beta=0, b0=0, phi=1``: the trend then stays
exactly 0, so one kernel per seasonal form serves trend "add" and None.
"""

from __future__ import annotations

import numpy as np

from reportflow.timeseries._jit import jit
from reportflow.timeseries._validate import FloatArray


@jit
def ses_kernel(
    y: FloatArray, alpha: float, l0: float, fitted: FloatArray, level: FloatArray
) -> None:
    lvl = l0
    for t in range(y.shape[0]):
        fitted[t] = lvl
        lvl = alpha * y[t] + (1.0 - alpha) * lvl
        level[t] = lvl


@jit
def holt_kernel(
    y: FloatArray,
    alpha: float,
    beta: float,
    phi: float,
    l0: float,
    b0: float,
    fitted: FloatArray,
    level: FloatArray,
    trend: FloatArray,
) -> None:
    lvl = l0
    b = b0
    for t in range(y.shape[0]):
        base = lvl + phi * b
        fitted[t] = base
        new = alpha * y[t] + (1.0 - alpha) * base
        b = beta * (new - lvl) + (1.0 - beta) * phi * b
        lvl = new
        level[t] = lvl
        trend[t] = b


@jit
def hw_add_kernel(
    y: FloatArray,
    alpha: float,
    beta: float,
    gamma: float,
    phi: float,
    l0: float,
    b0: float,
    s0: FloatArray,
    fitted: FloatArray,
    level: FloatArray,
    trend: FloatArray,
    season: FloatArray,
) -> None:
    m = s0.shape[0]
    ring = s0.copy()  # ring[t % m] holds s[t - m], the seasonal term y[t] uses
    lvl = l0
    b = b0
    for t in range(y.shape[0]):
        k = t % m
        s_old = ring[k]
        base = lvl + phi * b
        fitted[t] = base + s_old
        new = alpha * (y[t] - s_old) + (1.0 - alpha) * base
        b = beta * (new - lvl) + (1.0 - beta) * phi * b
        s_new = gamma * (y[t] - base) + (1.0 - gamma) * s_old
        ring[k] = s_new
        lvl = new
        level[t] = lvl
        trend[t] = b
        season[t] = s_new


@jit
def hw_mul_kernel(
    y: FloatArray,
    alpha: float,
    beta: float,
    gamma: float,
    phi: float,
    l0: float,
    b0: float,
    s0: FloatArray,
    fitted: FloatArray,
    level: FloatArray,
    trend: FloatArray,
    season: FloatArray,
) -> None:
    m = s0.shape[0]
    ring = s0.copy()
    lvl = l0
    b = b0
    for t in range(y.shape[0]):
        k = t % m
        s_old = ring[k]
        base = lvl + phi * b
        fitted[t] = base * s_old
        new = alpha * (y[t] / s_old) + (1.0 - alpha) * base
        b = beta * (new - lvl) + (1.0 - beta) * phi * b
        s_new = gamma * (y[t] / base) + (1.0 - gamma) * s_old
        ring[k] = s_new
        lvl = new
        level[t] = lvl
        trend[t] = b
        season[t] = s_new


def empty_like(y: FloatArray) -> FloatArray:
    """An uninitialised output array the kernels fill completely."""
    return np.empty(y.shape[0], dtype=np.float64)
