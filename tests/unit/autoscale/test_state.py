"""Baseline plus alert effects: firing, repeats within the cooldown, resolve, manual wins."""

from __future__ import annotations

import pytest

from reportflow.runner.autoscale import AlertOutcome, ScaleState


def state(baseline: int = 4) -> ScaleState:
    return ScaleState(baseline, minimum=1, maximum=20, cooldown_seconds=300)


def test_firing_step_then_resolved_returns_to_baseline() -> None:
    s = state()
    assert s.alert("a", "scale_up", firing=True, now=0, step=3) is AlertOutcome.APPLIED
    assert s.target == 7
    assert s.alert("a", "scale_up", firing=False, now=10) is AlertOutcome.RESOLVED
    assert s.target == 4


def test_repeat_within_cooldown_does_nothing_after_it_applies_again() -> None:
    s = state()
    s.alert("a", "scale_up", firing=True, now=0, step=2)
    assert s.alert("a", "scale_up", firing=True, now=299, step=2) is AlertOutcome.COOLDOWN
    assert s.target == 6
    assert s.alert("a", "scale_up", firing=True, now=300, step=2) is AlertOutcome.APPLIED
    assert s.target == 8
    s.alert("a", "scale_up", firing=False, now=400)
    assert s.target == 4


def test_scale_down_and_absolute_target_and_bounds() -> None:
    s = state(10)
    s.alert("down", "scale_down", firing=True, now=0, step=4)
    assert s.target == 6
    s.alert("pin", "scale_up", firing=True, now=1, target=50)
    assert s.target == 16  # the pin is clamped to 20, the step still subtracts 4
    s.alert("pin", "scale_up", firing=False, now=2)
    s.alert("down", "scale_down", firing=False, now=3)
    assert s.target == 10


def test_two_alerts_resolve_independently() -> None:
    s = state()
    s.alert("a", "scale_up", firing=True, now=0, step=2)
    s.alert("b", "scale_up", firing=True, now=0, step=5)
    assert s.target == 11
    s.alert("a", "scale_up", firing=False, now=1)
    assert s.target == 9


def test_manual_target_clears_alert_effects() -> None:
    s = state()
    s.alert("a", "scale_up", firing=True, now=0, step=2)
    s.set_target(3)
    assert s.target == 3
    assert s.alert("a", "scale_up", firing=False, now=1) is AlertOutcome.NOT_ACTIVE
    assert s.target == 3
    s.change(+100)
    assert s.target == 20


def test_autoscaler_baseline_keeps_alert_effects() -> None:
    s = state()
    s.alert("a", "scale_up", firing=True, now=0, step=2)
    s.set_baseline(8)
    assert s.target == 10


def test_other_actions_are_ignored() -> None:
    s = state()
    assert s.alert("x", "page", firing=True, now=0) is AlertOutcome.IGNORED
    assert s.target == 4


def test_repeats_cannot_pile_up_beyond_the_bounds() -> None:
    s = state(4)
    for i in range(10):
        s.alert("a", "scale_up", firing=True, now=i * 300.0, step=10)
    assert s.effects["a"].delta == 19
    s.set_baseline(1)
    assert s.target == 20


def test_bad_bounds() -> None:
    with pytest.raises(ValueError, match=r"^bounds:"):
        ScaleState(1, minimum=5, maximum=2)
