"""Erlang C sizing against closed forms and the definition it implements."""

from __future__ import annotations

import math

import pytest

from reportflow.runner.autoscale import erlang_c, slots_for_wait, wait_tail


def test_erlang_c_matches_closed_forms() -> None:
    # M/M/1: P(wait) = ρ.  M/M/2 with a = 1: C = a²/(2 + 2a − a² ... ) = 1/3.
    assert erlang_c(1, 0.6) == pytest.approx(0.6)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # Textbook value: c = 10, a = 8 erlangs -> C ≈ 0.409.
    assert erlang_c(10, 8.0) == pytest.approx(0.40918, abs=1e-4)


def test_erlang_c_edges() -> None:
    assert erlang_c(3, 0.0) == 0.0
    assert erlang_c(3, 3.0) == 1.0
    assert erlang_c(2, 5.0) == 1.0


def test_wait_tail_mm1() -> None:
    # M/M/1: P(W > t) = ρ·exp(−(1 − ρ)·t / S).
    rho, service, t = 0.5, 2.0, 3.0
    assert wait_tail(1, rho, service, t) == pytest.approx(rho * math.exp(-(1 - rho) * t / service))


@pytest.mark.parametrize(
    ("rate", "service", "wait"), [(0.05, 8, 30), (1, 8, 30), (6, 8, 10), (40, 3, 1)]
)
def test_slots_for_wait_is_the_fewest_that_meet_the_quantile(
    rate: float, service: float, wait: float
) -> None:
    c = slots_for_wait(rate, service, wait, 0.95)
    load = rate * service
    assert wait_tail(c, load, service, wait) <= 0.05
    assert c - 1 <= load or wait_tail(c - 1, load, service, wait) > 0.05


def test_slots_for_wait_grows_slower_than_load() -> None:
    # Square-root staffing: 10× the load needs fewer than 10× the spare slots.
    small = slots_for_wait(1.0, 10.0, 10.0) - 10
    large = slots_for_wait(10.0, 10.0, 10.0) - 100
    assert 0 < large < 10 * small


def test_slots_for_wait_zero_rate_and_limit() -> None:
    assert slots_for_wait(0.0, 5.0, 10.0) == 0
    assert slots_for_wait(1000.0, 10.0, 1.0, limit=50) == 50


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        ((-1.0, 1.0, 1.0, 0.95), "arrival_rate"),
        ((1.0, 0.0, 1.0, 0.95), "service_seconds"),
        ((1.0, 1.0, -1.0, 0.95), "wait_seconds"),
        ((1.0, 1.0, 1.0, 1.0), "quantile"),
        ((float("nan"), 1.0, 1.0, 0.95), "arrival_rate"),
    ],
)
def test_slots_for_wait_bad_input_names_the_argument(
    args: tuple[float, float, float, float], culprit: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{culprit}:"):
        slots_for_wait(*args)
