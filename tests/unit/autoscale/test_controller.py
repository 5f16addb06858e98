"""The forecast policy, driven by hand-made observations on a fake clock."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from reportflow.errors import ConfigError
from reportflow.runner.autoscale import AutoscaleConfig, Controller, Observation, slots_for_wait


class Feed:
    """Cumulative counters for a steady stream of observations, 15 s apart."""

    def __init__(self, controller: Controller, current: int = 1) -> None:
        self.c = controller
        self.now = 0.0
        self.total = 0
        self.completed = 0
        self.service = 0.0
        self.current = current
        self.targets: list[int] = []

    def tick(
        self, arrivals: int, *, queued: int = 0, done: int = 0, each: float = 5.0, runners: int = 1
    ) -> int:
        self.now += 15.0
        self.total += arrivals
        self.completed += done
        self.service += done * each
        d = self.c.decide(
            Observation(
                now=self.now,
                current=self.current,
                arrivals_total=self.total,
                queued=queued,
                completed_total=self.completed,
                service_seconds_total=self.service,
                runners=runners,
            )
        )
        assert d.previous == self.current
        self.current = d.target
        self.targets.append(d.target)
        return d.target


def controller(**kw: float) -> Controller:
    options: dict[str, float] = {"max_concurrency": 500, "initial_service_seconds": 5.0}
    options.update(kw)
    return Controller(AutoscaleConfig(**options))  # type: ignore[arg-type]


def test_steady_load_settles_on_the_erlang_need() -> None:
    feed = Feed(controller())
    for _ in range(40):
        feed.tick(30, done=30)  # 2 jobs/s of 5 s each
    need = slots_for_wait(2.0, 5.0, 30.0, 0.95)
    assert need <= feed.current <= need + max(1, math.ceil(0.1 * need))
    assert feed.c.service_seconds == pytest.approx(5.0)


def test_service_time_is_learned_from_completions() -> None:
    feed = Feed(controller(initial_service_seconds=1.0))
    for _ in range(30):
        feed.tick(15, done=15, each=20.0)
    assert feed.c.service_seconds == pytest.approx(20.0, rel=1e-3)
    # 1 job/s × 20 s = 20 erlangs: the target is sized for that, not for 1 s jobs.
    assert feed.current >= slots_for_wait(1.0, 20.0, 30.0)


def test_a_backlog_scales_up_in_one_tick() -> None:
    feed = Feed(controller(), current=2)
    feed.tick(0)
    target = feed.tick(300, queued=300)
    # 300 queued jobs of 5 s drain within 60 s with 25 extra slots.
    assert target >= math.ceil(300 * 5.0 / 60.0)


def test_falls_back_only_after_the_scale_down_window() -> None:
    feed = Feed(controller(scale_down_window=300))
    for _ in range(10):
        feed.tick(60, done=60)  # 4 jobs/s
    high = feed.current
    quiet = [feed.tick(0) for _ in range(30)]
    first_drop = next(i for i, t in enumerate(quiet) if t < high)
    assert first_drop * 15 >= 300 - 30  # held for the window (less the last busy ticks)
    assert quiet[-1] == 1  # the configured minimum


def test_runners_share_the_load() -> None:
    alone, shared = Feed(controller()), Feed(controller())
    for _ in range(20):
        alone.tick(120, done=120)
        shared.tick(120, done=30, runners=4)
    assert shared.current == pytest.approx(alone.current / 4, abs=1.5)
    assert shared.current < alone.current


def test_bounds_are_kept() -> None:
    feed = Feed(controller(min_concurrency=3, max_concurrency=8))
    assert feed.tick(0) == 3
    assert feed.tick(10_000, queued=10_000) == 8


def test_noisy_steady_load_does_not_flap() -> None:
    rng = random.Random(7)
    feed = Feed(controller())
    for _ in range(480):  # two hours of Poisson arrivals at 1 job/s
        n = sum(1 for _ in range(150) if rng.random() < 0.1)
        feed.tick(n, done=n)
    settled = feed.targets[40:]
    changes = sum(a != b for a, b in itertools.pairwise(settled))
    assert changes <= 8
    # Never back to a value it left less than a window (20 ticks) ago after a fall.
    for i in range(1, len(settled) - 1):
        if settled[i] < settled[i - 1]:
            ups = [j for j in range(i + 1, min(i + 20, len(settled))) if settled[j] > settled[i]]
            assert len(ups) <= 1


def test_decision_explains_itself() -> None:
    feed = Feed(controller())
    feed.tick(0)
    d = feed.c.decide(
        Observation(now=30.0, current=1, arrivals_total=45, queued=7, running=3, runners=2)
    )
    assert "rate 3/s" in d.reason
    assert "queued 7" in d.reason
    assert "runners 2" in d.reason


@pytest.mark.parametrize(
    ("kwargs", "culprit"),
    [
        ({"min_concurrency": 5, "max_concurrency": 2}, "min_concurrency"),
        ({"tick_seconds": 0}, "tick_seconds"),
        ({"quantile": 1.5}, "quantile"),
        ({"alpha": 0}, "alpha"),
        ({"horizon_ticks": 0}, "horizon_ticks"),
        ({"tolerance": 1}, "tolerance"),
    ],
)
def test_bad_config_names_the_field(kwargs: dict[str, float], culprit: str) -> None:
    with pytest.raises(ConfigError, match=culprit):
        AutoscaleConfig(**kwargs)  # type: ignore[arg-type]
