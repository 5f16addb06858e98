"""Time reportflow.timeseries against statsmodels and pandas on the same series.

    .venv/bin/python -m bench.timeseries            # statsmodels Holt-Winters on 1M only
    .venv/bin/python -m bench.timeseries --full     # also statsmodels Holt-Winters on 10M (~3 min)

Every method runs with fixed parameters and known initial values (no
fitting), so both sides do exactly the same recursion. Times are medians of
``--runs`` runs (statsmodels at 10M: ``--slow-runs``, default 1). Numba's
one-off compilation is done before timing, as a long-running process would.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.tsa.holtwinters import ExponentialSmoothing, Holt, SimpleExpSmoothing

from reportflow.timeseries import KERNELS_COMPILED, ewma, holt, holt_winters, ses, sma
from reportflow.timeseries._kernels import ses_kernel

PERIOD = 24
ALPHA, BETA, GAMMA = 0.3, 0.1, 0.2


def make_series(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(n)
    return 500.0 + 1e-5 * t + 40.0 * np.sin(2 * np.pi * t / PERIOD) + rng.normal(0.0, 5.0, n)


def median_seconds(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ours(y: np.ndarray) -> dict[str, Callable[[], Any]]:
    s0 = np.zeros(PERIOD)
    return {
        "ses": lambda: ses(y, ALPHA),
        "holt": lambda: holt(y, ALPHA, BETA),
        "holt_winters": lambda: holt_winters(
            y, ALPHA, BETA, GAMMA, PERIOD, initial_level=y[0], initial_trend=0.0,
            initial_seasonal=s0,
        ),
        "ewma": lambda: ewma(y, ALPHA),
        "sma": lambda: sma(y, PERIOD),
    }  # fmt: skip


def peers(y: np.ndarray) -> dict[str, Callable[[], Any]]:
    s0 = np.zeros(PERIOD)
    return {
        "ses": lambda: SimpleExpSmoothing(
            y, initialization_method="known", initial_level=y[0]
        ).fit(smoothing_level=ALPHA, optimized=False),
        "holt": lambda: Holt(
            y, initialization_method="known", initial_level=y[0], initial_trend=y[1] - y[0]
        ).fit(smoothing_level=ALPHA, smoothing_trend=BETA, optimized=False),
        "holt_winters": lambda: ExponentialSmoothing(
            y, trend="add", seasonal="add", seasonal_periods=PERIOD,
            initialization_method="known", initial_level=y[0], initial_trend=0.0,
            initial_seasonal=s0,
        ).fit(smoothing_level=ALPHA, smoothing_trend=BETA, smoothing_seasonal=GAMMA,
              optimized=False),
        "ewma": lambda: pd.Series(y).ewm(alpha=ALPHA, adjust=False).mean(),
        "sma": lambda: pd.Series(y).rolling(PERIOD).mean(),
    }  # fmt: skip


PEER_NAME = {"ewma": "pandas ewm", "sma": "pandas rolling"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.timeseries")
    parser.add_argument("--n", type=int, default=10_000_000, help="large series length")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slow-runs", type=int, default=1)
    parser.add_argument("--full", action="store_true", help="statsmodels Holt-Winters at --n too")
    args = parser.parse_args()

    small_n = args.n // 10
    big, small = make_series(args.n), make_series(small_n)
    for fn in ours(small[:1000]).values():  # compile (or load the numba cache) before timing
        fn()

    rows: list[tuple[str, int, float, str, float | None, str]] = []
    for size, y in ((small_n, small), (args.n, big)):
        mine, theirs = ours(y), peers(y)
        for name in mine:
            t_ours = median_seconds(mine[name], args.runs)
            slow = name in ("ses", "holt", "holt_winters")
            skip = size == args.n and name == "holt_winters" and not args.full
            runs = args.slow_runs if (slow and size == args.n) else (3 if slow else args.runs)
            t_peer = None if skip else median_seconds(theirs[name], runs)
            rows.append((name, size, t_ours, PEER_NAME.get(name, "statsmodels"), t_peer, str(runs)))

    y = small
    fallback = median_seconds(
        lambda: ses_kernel.py_func(y, ALPHA, y[0], np.empty_like(y), np.empty_like(y)), 3
    ) if KERNELS_COMPILED else None  # fmt: skip

    print(f"numba kernels: {KERNELS_COMPILED}; medians of {args.runs} runs (peer runs in column)\n")
    print("| method | points | reportflow (s) | peer | peer (s) | peer runs | speed-up |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for name, size, t_ours, peer, t_peer, runs in rows:
        peer_s = "not run" if t_peer is None else f"{t_peer:.3f}"
        ratio = "—" if t_peer is None else f"{t_peer / t_ours:.0f}×"
        print(f"| {name} | {size:,} | {t_ours:.4f} | {peer} | {peer_s} | {runs} | {ratio} |")
    if fallback is not None:
        print(f"\npure-Python fallback kernel, ses on {small_n:,} points: {fallback:.3f} s")


if __name__ == "__main__":
    main()
