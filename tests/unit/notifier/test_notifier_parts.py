"""Small parts: dedupe memory, auth checks, Standard Webhooks signatures."""

from __future__ import annotations

import asyncio
import base64

from reportflow.notifier.app import authorized
from reportflow.notifier.config import AuthConfig
from reportflow.notifier.dedupe import DedupeCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_dedupe_remembers_channels_for_the_window() -> None:
    clock = Clock()
    cache = DedupeCache(300, clock=clock)
    assert cache.delivered("k") == set()
    cache.mark("k", {"ops/mail"})
    cache.mark("k", {"ops/teams"})
    assert cache.delivered("k") == {"ops/mail", "ops/teams"}
    clock.now += 299
    assert cache.delivered("k") == {"ops/mail", "ops/teams"}
    clock.now += 2
    assert cache.delivered("k") == set()


def test_dedupe_window_zero_disables_it() -> None:
    cache = DedupeCache(0)
    cache.mark("k", {"ops/mail"})
    assert cache.delivered("k") == set()


async def test_dedupe_hold_serialises_one_key() -> None:
    cache = DedupeCache(300)
    order: list[str] = []

    async def worker(name: str, key: str) -> None:
        async with cache.hold(key):
            order.append(f"{name}+")
            await asyncio.sleep(0.01)
            order.append(f"{name}-")

    await asyncio.gather(worker("a", "k"), worker("b", "k"), worker("c", "other"))
    assert order.index("a-") < order.index("b+")  # same key: one after the other
    assert order.index("c+") < order.index("a-")  # other key: no waiting
    assert cache._locks == {}  # nothing left behind


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_auth_bearer_and_basic() -> None:
    auth = AuthConfig.model_validate(
        {"bearer_token": "s3cret", "basic": {"username": "am", "password": "pw"}}
    )
    assert authorized(auth, "Bearer s3cret")
    assert authorized(auth, "bearer s3cret")
    assert authorized(auth, _basic("am", "pw"))
    for header in (
        None,
        "",
        "Bearer wrong",
        "Bearer",
        _basic("am", "nope"),
        _basic("x", "pw"),
        "Basic !!!notbase64",
        "Token s3cret",
    ):
        assert not authorized(auth, header), header


def test_auth_open_when_not_configured() -> None:
    assert authorized(AuthConfig(), None)
