"""Fixtures of the runner integration tests (helpers live in runner_fleet)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from runner_fleet import Fleet


@pytest.fixture(params=["sqlite", "postgres"])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """One shared queue for several runner processes, on each durable backend."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'queue.db'}"


@pytest.fixture
def fleet(queue_url: str, tmp_path: Path) -> Iterator[Fleet]:
    fleet = Fleet(queue_url, tmp_path)
    yield fleet
    fleet.stop_all()
