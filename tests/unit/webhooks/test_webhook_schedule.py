"""The retry schedule and Retry-After parsing."""

from __future__ import annotations

import email.utils
import random

import pytest

from reportflow.errors import WebhookError
from reportflow.webhooks import RetrySchedule, parse_retry_after

HOUR = 3600.0


def _walk(schedule: RetrySchedule) -> list[float]:
    """Every delay the schedule hands out, attempt after attempt, until it gives up."""
    delays: list[float] = []
    elapsed, done = 0.0, 1
    while (delay := schedule.next_delay(done, elapsed)) is not None:
        delays.append(delay)
        elapsed += delay
        done += 1
    return delays


def test_default_schedule_without_jitter() -> None:
    delays = _walk(RetrySchedule(jitter=0))
    assert delays[:7] == [1, 5, 30, 120, 600, 1800, 3600]
    # Hourly after the list, and no attempt later than 24 h after the first.
    assert set(delays[7:]) == {HOUR}
    assert sum(delays) <= 24 * HOUR
    assert sum(delays) + HOUR > 24 * HOUR
    assert RetrySchedule(jitter=0).first_delay == 0


def test_jitter_stays_within_ten_percent_and_varies() -> None:
    schedule = RetrySchedule(rng=random.Random(7))
    samples = [schedule.next_delay(3, 0.0) for _ in range(200)]
    assert all(s is not None and 27.0 <= s <= 33.0 for s in samples)
    assert len(set(samples)) > 100


def test_a_finite_schedule_gives_up_after_its_list() -> None:
    schedule = RetrySchedule(delays=[0, 0.05, 0.1], repeat_every=None, jitter=0)
    assert _walk(schedule) == [0.05, 0.1]


def test_retry_after_is_a_floor_never_shortened_by_jitter() -> None:
    schedule = RetrySchedule(rng=random.Random(1))
    assert schedule.next_delay(1, 0.0, at_least=90.0) == 90.0
    assert schedule.next_delay(1, 0.0, at_least=0.5) != 0.5  # the schedule's ~1 s wins


def test_retry_after_past_the_deadline_gives_up() -> None:
    schedule = RetrySchedule(jitter=0)
    assert schedule.next_delay(10, 23 * HOUR, at_least=2 * HOUR) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"delays": []}, "delays is empty"),
        ({"delays": [0, -1]}, "negative delay -1"),
        ({"repeat_every": 0}, "repeat_every 0"),
        ({"jitter": 1.5}, "jitter 1.5"),
    ],
)
def test_bad_schedules_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(WebhookError, match=message):
        RetrySchedule(**kwargs)  # type: ignore[arg-type]


def test_parse_retry_after_seconds_dates_and_garbage() -> None:
    now = 1_764_288_000.0
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
    naive = email.utils.formatdate(now + 60).replace("+0000", "-0000")
    assert parse_retry_after(naive, now=now) == 60.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("", now=now) is None
    assert parse_retry_after(None) is None
