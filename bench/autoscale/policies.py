"""The policies the simulation compares with reportflow's forecast controller.

All of them take the same :class:`Observation` and return a :class:`Decision`,
like :class:`reportflow.runner.autoscale.Controller`.

* :class:`FixedPolicy` — N slots, never changed (provisioned for the peak).
* :class:`HpaPolicy` — the Kubernetes HPA formula on slot utilization:
  ``desired = ceil(current · utilization / target)``, no change while the
  ratio is within 0.1 of 1, scale-up capped at max(2×, +4) per sync, and the
  300 s scale-down stabilization window (max recommendation). Utilization is
  the mean busy fraction over the last tick, as metrics-server averages CPU.
* :class:`ThresholdPolicy` — what an Alertmanager rule + the scale hook do:
  a ``RunnerBacklog`` alert (queued > ``up_queued`` for ``for_seconds``)
  with ``action=scale_up, step=up_step`` and a ``RunnerIdle`` alert
  (utilization < ``idle_utilization`` for ``idle_for``) with
  ``action=scale_down, step=down_step``; notifications go out ``group_wait``
  after firing and then every ``group_interval`` (the repeat interval is set
  to the same 5 minutes); resolved notifications at the next group interval.
  The effects are applied by the runner's own :class:`ScaleState`, the code
  behind ``POST /hooks/scale``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reportflow.runner.autoscale import Decision, Observation, ScaleState, Stabilizer


class FixedPolicy:
    def __init__(self, slots: int) -> None:
        self.slots = slots

    def decide(self, obs: Observation) -> Decision:
        return Decision(
            target=self.slots, previous=obs.current, recommendation=self.slots, reason="fixed"
        )


class HpaPolicy:
    def __init__(
        self,
        *,
        target_utilization: float = 0.7,
        tolerance: float = 0.1,
        down_window: float = 300.0,
        minimum: int = 1,
        maximum: int = 200,
    ) -> None:
        self.target = target_utilization
        self.tolerance = tolerance
        self.minimum = minimum
        self.maximum = maximum
        self.stabilizer = Stabilizer(down_window=down_window, tolerance=0.0)
        self._last: Observation | None = None

    def decide(self, obs: Observation) -> Decision:
        last, self._last = self._last, obs
        current = max(obs.current, 1)
        if last is None or obs.now <= last.now:
            util = obs.busy / current
        else:
            util = (obs.busy_seconds_total - last.busy_seconds_total) / (obs.now - last.now)
            util /= current
        ratio = util / self.target
        if abs(ratio - 1.0) <= self.tolerance:
            rec = obs.current
        else:
            rec = math.ceil(current * ratio)
            rec = min(rec, max(2 * current, current + 4))
        rec = min(self.maximum, max(self.minimum, rec))
        target = self.stabilizer.propose(obs.now, obs.current, rec)
        return Decision(
            target=target,
            previous=obs.current,
            recommendation=rec,
            reason=f"hpa utilization {util:.2f}",
        )


@dataclass
class _Rule:
    fingerprint: str
    action: str
    step: int
    for_seconds: float
    pending_since: float | None = None
    firing: bool = False
    next_flush: float | None = None


class ThresholdPolicy:
    def __init__(
        self,
        *,
        baseline: int = 4,
        up_queued: int = 20,
        up_step: int = 4,
        for_seconds: float = 60.0,
        idle_utilization: float = 0.3,
        idle_for: float = 600.0,
        down_step: int = 2,
        group_wait: float = 30.0,
        group_interval: float = 300.0,
        minimum: int = 1,
        maximum: int = 200,
    ) -> None:
        self.state = ScaleState(
            baseline, minimum=minimum, maximum=maximum, cooldown_seconds=group_interval
        )
        self.rules = [
            _Rule("backlog", "scale_up", up_step, for_seconds),
            _Rule("idle", "scale_down", down_step, idle_for),
        ]
        self.up_queued = up_queued
        self.idle_utilization = idle_utilization
        self.group_wait = group_wait
        self.group_interval = group_interval
        self._last: Observation | None = None

    def _condition(self, rule: _Rule, obs: Observation, util: float) -> bool:
        if rule.action == "scale_up":
            return obs.queued > self.up_queued
        return util < self.idle_utilization and obs.queued == 0

    def decide(self, obs: Observation) -> Decision:
        last, self._last = self._last, obs
        dt = obs.now - last.now if last is not None else 0.0
        util = (
            (obs.busy_seconds_total - last.busy_seconds_total) / dt / max(obs.current, 1)
            if last is not None and dt > 0
            else 0.0
        )
        for rule in self.rules:
            holds = self._condition(rule, obs, util)
            if holds:
                rule.pending_since = obs.now if rule.pending_since is None else rule.pending_since
                if not rule.firing and obs.now - rule.pending_since >= rule.for_seconds:
                    rule.firing = True
                    if rule.next_flush is None:
                        rule.next_flush = obs.now + self.group_wait
            else:
                rule.pending_since = None
                rule.firing = False
            if rule.next_flush is not None and obs.now >= rule.next_flush:
                self.state.alert(
                    rule.fingerprint, rule.action, firing=rule.firing, now=obs.now, step=rule.step
                )
                rule.next_flush = obs.now + self.group_interval if rule.firing else None
        target = self.state.target
        return Decision(target=target, previous=obs.current, recommendation=target, reason="alert")
