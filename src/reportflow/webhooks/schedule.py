"""When to try a webhook again: the retry schedule and the ``Retry-After`` header."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime

from reportflow.errors import WebhookError

DEFAULT_DELAYS: tuple[float, ...] = (0.0, 1.0, 5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)
"""Immediately, 1 s, 5 s, 30 s, 2 min, 10 min, 30 min, 1 h (each after the previous attempt)."""
DEFAULT_REPEAT_EVERY = 3600.0
DEFAULT_GIVE_UP_AFTER = 24 * 3600.0
DEFAULT_JITTER = 0.1


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Delays between attempts of one message.

    ``delays[n]`` is the wait before attempt ``n + 1`` (so ``delays[0]`` is the
    wait before the first attempt, normally 0). When the list runs out, the
    message is retried every ``repeat_every`` seconds, or given up when that is
    ``None``. No attempt starts later than ``give_up_after`` seconds after the
    first one (``None``: no deadline). Each delay is spread by ±``jitter`` (a
    fraction) so that messages failing together do not retry together.
    """

    delays: Sequence[float] = DEFAULT_DELAYS
    repeat_every: float | None = DEFAULT_REPEAT_EVERY
    give_up_after: float | None = DEFAULT_GIVE_UP_AFTER
    jitter: float = DEFAULT_JITTER
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.delays:
            raise WebhookError("retry schedule: delays is empty")
        bad = [d for d in self.delays if d < 0]
        if bad:
            raise WebhookError(f"retry schedule: negative delay {bad[0]}")
        if self.repeat_every is not None and self.repeat_every <= 0:
            raise WebhookError(f"retry schedule: repeat_every {self.repeat_every} is not > 0")
        if not 0 <= self.jitter < 1:
            raise WebhookError(f"retry schedule: jitter {self.jitter} is not in [0, 1)")
        object.__setattr__(self, "delays", tuple(float(d) for d in self.delays))

    @property
    def first_delay(self) -> float:
        """The wait before the first attempt."""
        return self._spread(self.delays[0])

    def next_delay(
        self, attempts_done: int, elapsed: float, *, at_least: float = 0.0
    ) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to give up.

        Args:
            attempts_done: attempts made so far (>= 1).
            elapsed: seconds since the first attempt.
            at_least: a floor from the receiver (``Retry-After``); honoured
                exactly, never shortened by jitter.
        """
        if attempts_done < len(self.delays):
            delay = self._spread(self.delays[attempts_done])
        elif self.repeat_every is not None:
            delay = self._spread(self.repeat_every)
        else:
            return None
        delay = max(delay, at_least)
        if self.give_up_after is not None and elapsed + delay > self.give_up_after:
            return None
        return delay

    def _spread(self, delay: float) -> float:
        if delay == 0 or self.jitter == 0:
            return delay
        return delay * self.rng.uniform(1 - self.jitter, 1 + self.jitter)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date).

    Returns ``None`` for a missing or unreadable header; a date in the past is 0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" parses naive; HTTP dates are always UTC
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)
