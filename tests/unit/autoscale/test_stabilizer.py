"""Up at once, down only after the window, changes within tolerance ignored."""

from __future__ import annotations

import pytest

from reportflow.runner.autoscale import Stabilizer


def test_scales_up_at_once() -> None:
    s = Stabilizer(down_window=300)
    assert s.propose(0, 4, 10) == 10


def test_scales_down_only_after_the_window() -> None:
    s = Stabilizer(down_window=300)
    assert s.propose(0, 4, 10) == 10
    for t in range(15, 300, 15):
        assert s.propose(t, 10, 2) == 10, t
    assert s.propose(315, 10, 2) == 2


def test_down_goes_to_the_highest_recent_recommendation() -> None:
    s = Stabilizer(down_window=60, tolerance=0.0)
    s.propose(0, 10, 10)
    s.propose(30, 10, 7)
    assert s.propose(61, 10, 3) == 7
    assert s.propose(91, 7, 3) == 3


def test_tolerance_ignores_small_changes() -> None:
    s = Stabilizer(down_window=0, tolerance=0.1)
    assert s.propose(0, 20, 21) == 20
    assert s.propose(1, 20, 19) == 20
    assert s.propose(2, 20, 23) == 23


def test_band_holds_inside_and_jumps_to_the_high_edge() -> None:
    s = Stabilizer(down_window=30, tolerance=0.0)
    assert s.propose_band(0, 5, 8, 10) == 10  # below the need: up to need + headroom
    assert s.propose_band(15, 10, 9, 11) == 10  # inside the band: hold
    assert s.propose_band(30, 10, 3, 4) == 10  # the 11 of t=15 is still in the window
    assert s.propose_band(46, 10, 3, 4) == 4


def test_noise_inside_the_band_never_flaps() -> None:
    s = Stabilizer(down_window=300)
    current, changes = 10, 0
    for i in range(2000):
        need = 9 if i % 2 else 10  # alternating need, as from a noisy rate
        new = s.propose_band(i * 15.0, current, need, need + 1)
        changes += new != current
        current = new
    assert changes <= 1


@pytest.mark.parametrize(
    ("kwargs", "culprit"), [({"down_window": -1}, "window"), ({"tolerance": 1.0}, "tolerance")]
)
def test_bad_settings(kwargs: dict[str, float], culprit: str) -> None:
    with pytest.raises(ValueError, match=rf"^{culprit}:"):
        Stabilizer(**kwargs)
