"""How many slots a Poisson load needs so that a quantile of the queue wait
stays under a bound: the Erlang C model (M/M/c).

With offered load ``a = λ·S`` (Little's law: the mean number of busy slots)
and ``c > a`` slots, the probability that a job waits at all is Erlang's C
formula, and the wait of those that do is exponential with rate
``(c − a) / S``::

    P(W > t) = C(c, a) · exp(−(c − a) · t / S)

The sizing is the smallest ``c`` with ``P(W > t) ≤ 1 − q``. It replaces a
fixed utilization target: at small loads it keeps generous headroom (a single
slot at 70 % busy makes long waits), at large loads it runs slots hotter
(the square-root staffing effect), which is where the worker-seconds go.
"""

from __future__ import annotations

import math

#: Beyond this many slots the recursion stops: callers clamp to their max anyway.
MAX_SLOTS = 100_000


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arriving job waits, for ``servers`` slots and ``load`` erlangs.

    Uses the stable Erlang B recursion ``B(k) = a·B(k−1) / (k + a·B(k−1))``;
    returns 1.0 when ``servers <= load`` (the queue grows without bound).
    """
    if load <= 0.0:
        return 0.0
    if servers <= load:
        return 1.0
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return servers * b / (servers - load * (1.0 - b))


def wait_tail(servers: int, load: float, service_seconds: float, wait_seconds: float) -> float:
    """``P(W > wait_seconds)`` in an M/M/c queue (1.0 when overloaded)."""
    if load <= 0.0:
        return 0.0
    if servers <= load:
        return 1.0
    rate = (servers - load) / service_seconds
    return erlang_c(servers, load) * math.exp(-rate * wait_seconds)


def slots_for_wait(
    arrival_rate: float,
    service_seconds: float,
    wait_seconds: float,
    quantile: float = 0.95,
    *,
    limit: int = MAX_SLOTS,
) -> int:
    """The fewest slots keeping the ``quantile`` of the queue wait within ``wait_seconds``.

    0 when nothing arrives; at most ``limit``. Raises ValueError naming the
    argument for a negative rate, a service time or wait that is not positive,
    or a quantile outside (0, 1).
    """
    if not math.isfinite(arrival_rate) or arrival_rate < 0:
        raise ValueError(f"arrival_rate: must be a finite number >= 0, got {arrival_rate}")
    if not math.isfinite(service_seconds) or service_seconds <= 0:
        raise ValueError(f"service_seconds: must be > 0, got {service_seconds}")
    if not math.isfinite(wait_seconds) or wait_seconds < 0:
        raise ValueError(f"wait_seconds: must be >= 0, got {wait_seconds}")
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile: must be in (0, 1), got {quantile}")
    load = arrival_rate * service_seconds
    if load == 0.0:
        return 0
    tail = 1.0 - quantile
    servers = max(1, math.floor(load) + 1)
    # Walk B(k) up to the first candidate, then one step per extra slot:
    # O(c) overall, not O(c²).
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    while servers < limit:
        c = servers * b / (servers - load * (1.0 - b))
        if c * math.exp(-(servers - load) / service_seconds * wait_seconds) <= tail:
            return servers
        servers += 1
        b = load * b / (servers + load * b)
    return limit
