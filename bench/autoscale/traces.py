"""Seeded load traces: arrival times and service times for the simulation.

Arrivals are a non-homogeneous Poisson process drawn by thinning (Lewis &
Shedler): candidates at the peak rate, each kept with probability
rate(t)/peak. Service times are log-normal (mean ``SERVICE_MEAN`` seconds,
coefficient of variation about 0.9), like report run times: most are short,
a few are long.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

SERVICE_MEAN = 8.0
SERVICE_SIGMA = 0.8
HOUR = 3600.0
DAY = 24 * HOUR

Rate = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Trace:
    name: str
    title: str
    duration: float
    arrivals: np.ndarray
    services: np.ndarray
    rate: Rate
    """The intended arrival rate (jobs/s) at each time, for plots and fixed-N sizing."""

    @property
    def peak_rate(self) -> float:
        grid = np.linspace(0.0, self.duration, 20_000)
        return float(self.rate(grid).max())


def _draw(name: str, title: str, duration: float, rate: Rate, seed: int) -> Trace:
    rng = np.random.default_rng(seed)
    grid = np.linspace(0.0, duration, 200_000)
    peak = float(rate(grid).max()) * 1.05
    n = rng.poisson(peak * duration)
    cand = np.sort(rng.uniform(0.0, duration, n))
    keep = rng.uniform(0.0, peak, n) < rate(cand)
    arrivals = cand[keep]
    mu = math.log(SERVICE_MEAN) - SERVICE_SIGMA**2 / 2
    services = rng.lognormal(mu, SERVICE_SIGMA, arrivals.shape[0])
    return Trace(name, title, duration, arrivals, services, rate)


def step_burst(seed: int = 1) -> Trace:
    """1 job/s, then 6 jobs/s for 20 minutes from minute 30, then 1 job/s again."""

    def rate(t: np.ndarray) -> np.ndarray:
        return np.where((t >= 1800) & (t < 3000), 6.0, 1.0)

    return _draw("step", "Step burst (1 → 6 → 1 jobs/s)", 2 * HOUR, rate, seed)


def _noise(seed: int, duration: float, every: float, sd: float) -> Rate:
    """Multiplicative log-normal noise, piecewise constant per ``every`` seconds."""
    rng = np.random.default_rng(seed + 1000)
    factors = np.exp(rng.normal(0.0, sd, int(duration // every) + 2))

    def noise(t: np.ndarray) -> np.ndarray:
        return factors[(t // every).astype(int)]

    return noise


def diurnal(seed: int = 2) -> Trace:
    """A day: 0.2 jobs/s at night, 3 jobs/s at 14:00, with 15 % noise per 5 minutes."""
    noise = _noise(seed, DAY, 300.0, 0.15)

    def rate(t: np.ndarray) -> np.ndarray:
        wave = 0.5 - 0.5 * np.cos(2 * np.pi * (t - 2 * HOUR) / DAY)
        return (0.2 + 2.8 * wave**2) * noise(t)

    return _draw("diurnal", "Diurnal wave with noise (24 h)", DAY, rate, seed)


def spikes(seed: int = 3) -> Trace:
    """0.5 jobs/s with a 90-second spike of 6 jobs/s every 12 minutes (±2 min jitter)."""
    rng = np.random.default_rng(seed + 2000)
    duration = 3 * HOUR
    base = np.arange(600.0, duration, 720.0)
    starts = base + rng.uniform(-120.0, 120.0, base.shape[0])

    def rate(t: np.ndarray) -> np.ndarray:
        inside = np.zeros(t.shape, dtype=bool)
        for s in starts:
            inside |= (t >= s) & (t < s + 90.0)
        return np.where(inside, 6.0, 0.5)

    return _draw(
        "spikes", "Spike train (0.5 jobs/s, 90 s spikes of 6 jobs/s)", duration, rate, seed
    )


def weekly(seed: int = 4) -> Trace:
    """A week: office-hours peaks of 1.5 jobs/s on weekdays, 0.3 at weekends, 10 % noise."""
    noise = _noise(seed, 7 * DAY, 600.0, 0.10)

    def rate(t: np.ndarray) -> np.ndarray:
        day = (t // DAY).astype(int)
        hour = (t % DAY) / HOUR
        office = np.exp(-0.5 * ((hour - 13.0) / 3.0) ** 2)
        peak = np.where(day < 5, 1.5, 0.3)
        return (0.05 + peak * office) * noise(t)

    return _draw("weekly", "Weekly pattern (weekdays and weekend)", 7 * DAY, rate, seed)


TRACES: dict[str, Callable[[], Trace]] = {
    "step": step_burst,
    "diurnal": diurnal,
    "spikes": spikes,
    "weekly": weekly,
}
