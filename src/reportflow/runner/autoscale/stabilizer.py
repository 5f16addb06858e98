"""Scale up fast, scale down slowly, never flap: the rule Kubernetes' HPA uses.

Every tick a policy makes a *recommendation*. The stabilizer keeps the
recommendations of the last ``down_window`` seconds and lets the target

* rise at once to the lowest recommendation of the last ``up_window``
  seconds (0 by default: at once to the newest one), and
* fall only to the **highest** recommendation of the last ``down_window``
  seconds (300 s by default), so a dip must last the whole window before a
  slot is given up, and a brief lull between two bursts keeps the slots.

A change within ``tolerance`` of the current target (10 % by default) is
ignored. :meth:`Stabilizer.propose_band` adds a hysteresis band (scale up
only when below the need, and then to the need plus headroom; scale down only
when above the headroom level for a whole window). Together these bound
flapping: after any rise the target cannot fall for a full window, because
the rise itself is in the window.
"""

from __future__ import annotations

from collections import deque

DEFAULT_DOWN_WINDOW = 300.0
DEFAULT_TOLERANCE = 0.1


class Stabilizer:
    """Turns raw recommendations into target changes (pure, driven by ``now``)."""

    def __init__(
        self,
        *,
        down_window: float = DEFAULT_DOWN_WINDOW,
        up_window: float = 0.0,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> None:
        if down_window < 0 or up_window < 0:
            raise ValueError(f"window: must be >= 0, got down={down_window}, up={up_window}")
        if not 0.0 <= tolerance < 1.0:
            raise ValueError(f"tolerance: must be in [0, 1), got {tolerance}")
        self.down_window = down_window
        self.up_window = up_window
        self.tolerance = tolerance
        self._history: deque[tuple[float, int]] = deque()

    def record(self, now: float, value: int) -> None:
        """Remember ``value`` as if recommended at ``now`` (also for outside changes,
        so a manual scale-up is held for one window like any other)."""
        self._history.append((now, value))
        horizon = now - max(self.down_window, self.up_window)
        while self._history and self._history[0][0] < horizon:
            self._history.popleft()

    def _window(self, now: float, seconds: float) -> list[int]:
        return [v for t, v in self._history if t >= now - seconds]

    def propose(self, now: float, current: int, recommendation: int) -> int:
        """The new target given this tick's ``recommendation`` (``current`` when unchanged)."""
        self.record(now, recommendation)
        if recommendation > current:
            candidate = max(current, min(self._window(now, self.up_window) or [recommendation]))
        elif recommendation < current:
            candidate = min(current, max(self._window(now, self.down_window)))
        else:
            return current
        if current > 0 and abs(candidate - current) <= self.tolerance * current:
            return current
        return candidate

    def propose_band(self, now: float, current: int, low: int, high: int) -> int:
        """Hysteresis between ``low`` (the fewest slots that meet the objective)
        and ``high`` (``low`` plus headroom): below ``low`` go up at once to
        ``high``; above the highest ``high`` of the down window come down to
        it; anywhere in between hold. Noise that moves the need by less than
        the headroom then changes nothing, in either direction."""
        high = max(low, high)
        self.record(now, high)
        if current < low:
            return high
        ceiling = max(self._window(now, self.down_window))
        if current <= ceiling or current - ceiling <= self.tolerance * current:
            return current
        return ceiling
