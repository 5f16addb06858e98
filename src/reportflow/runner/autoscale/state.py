"""The runner's target as a baseline plus the effects of firing scale alerts.

Pure bookkeeping (no I/O, ``now`` passed in), shared by the scale hook and
the simulation.

* The **baseline** is what an operator (``{"target": N}`` / ``{"delta": ±N}``),
  the autoscaler, or the configured concurrency asked for.
* Each firing alert labelled ``action="scale_up"`` or ``"scale_down"`` adds an
  **effect**, keyed by its fingerprint: a step (``annotations.step``, default
  1, added for scale_up and subtracted for scale_down) or an absolute
  ``annotations.target``.
* A repeat of the same firing alert within ``cooldown_seconds`` of its last
  application changes nothing (Alertmanager re-sends whole groups); a repeat
  after the cooldown means the condition still holds, so its step is applied
  once more and accumulates on the same effect.
* A **resolved** alert removes its effect: the target returns towards the
  baseline by exactly what that alert added.
* A manual ``target``/``delta`` wins: it sets a new baseline and clears every
  alert effect (a later "resolved" for them changes nothing).

The effective target is the newest absolute alert target (or the baseline)
plus the sum of the step effects, clamped to [minimum, maximum].
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DEFAULT_COOLDOWN = 300.0


class AlertOutcome(StrEnum):
    """What one alert of a notification did."""

    APPLIED = "applied"  # a new firing alert, or a repeat after the cooldown
    COOLDOWN = "cooldown"  # a repeat within the cooldown: nothing changed
    RESOLVED = "resolved"  # its effect was removed
    NOT_ACTIVE = "not_active"  # resolved, but it had no effect (never seen, or cleared)
    IGNORED = "ignored"  # no action label, or not scale_up / scale_down


@dataclass(slots=True)
class Effect:
    """What one firing alert did to the target."""

    delta: int = 0
    target: int | None = None
    applied_at: float = 0.0


class ScaleState:
    """Baseline + alert effects; see the module docstring."""

    def __init__(
        self,
        baseline: int,
        *,
        minimum: int,
        maximum: int,
        cooldown_seconds: float = DEFAULT_COOLDOWN,
    ) -> None:
        if minimum < 0 or maximum < minimum:
            raise ValueError(f"bounds: need 0 <= minimum <= maximum, got {minimum}..{maximum}")
        if cooldown_seconds < 0:
            raise ValueError(f"cooldown_seconds: must be >= 0, got {cooldown_seconds}")
        self.minimum = minimum
        self.maximum = maximum
        self.cooldown_seconds = cooldown_seconds
        self.baseline = self.clamp(baseline)
        self.effects: dict[str, Effect] = {}

    def clamp(self, value: int) -> int:
        return min(self.maximum, max(self.minimum, value))

    @property
    def target(self) -> int:
        """The effective target."""
        absolute = [e for e in self.effects.values() if e.target is not None]
        base = max(absolute, key=lambda e: e.applied_at).target if absolute else self.baseline
        assert base is not None
        return self.clamp(base + sum(e.delta for e in self.effects.values()))

    def set_target(self, value: int) -> None:
        """A manual target: new baseline, alert effects cleared."""
        self.baseline = self.clamp(value)
        self.effects.clear()

    def change(self, delta: int) -> None:
        """A manual delta from the effective target: new baseline, effects cleared."""
        self.set_target(self.target + delta)

    def set_baseline(self, value: int) -> None:
        """The autoscaler's target: alert effects stay on top of it."""
        self.baseline = self.clamp(value)

    def alert(
        self,
        fingerprint: str,
        action: str,
        *,
        firing: bool,
        now: float,
        step: int = 1,
        target: int | None = None,
    ) -> AlertOutcome:
        """Apply one alert of a notification (``action`` is its ``action`` label)."""
        if action not in ("scale_up", "scale_down"):
            return AlertOutcome.IGNORED
        if not firing:
            return (
                AlertOutcome.RESOLVED
                if self.effects.pop(fingerprint, None) is not None
                else AlertOutcome.NOT_ACTIVE
            )
        effect = self.effects.get(fingerprint)
        if effect is not None and now - effect.applied_at < self.cooldown_seconds:
            return AlertOutcome.COOLDOWN
        if effect is None:
            effect = self.effects[fingerprint] = Effect()
        effect.applied_at = now
        if target is not None:
            effect.target = self.clamp(target)
        else:
            effect.delta += step if action == "scale_up" else -step
            # Repeats past a bound would only pile up a debt that a resolve undoes at once.
            span = self.maximum - self.minimum
            effect.delta = max(-span, min(span, effect.delta))
        return AlertOutcome.APPLIED
