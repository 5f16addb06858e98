"""The runner registry on SQLite and PostgreSQL: live count, expiry, leave."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportflow.errors import RunnerError
from reportflow.runner.autoscale import MemoryPeers, SqlPeers, StaticPeers, peers_for

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reportflow.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


async def test_sql_registry_counts_live_runners(registry_url: str) -> None:
    a, b = SqlPeers(registry_url, ttl=45), SqlPeers(registry_url, ttl=45)
    try:
        assert await a.beat("runner-a", 1000.0) == 1
        assert await b.beat("runner-b", 1001.0) == 2
        assert await a.beat("runner-a", 1015.0) == 2  # an update, not a new row
        # runner-b stops beating: gone once its last beat is older than the ttl.
        assert await a.beat("runner-a", 1047.0) == 1
        await b.beat("runner-b", 1050.0)
        await b.leave("runner-b")
        assert await a.beat("runner-a", 1051.0) == 1
    finally:
        await a.close()
        await b.close()


def test_peers_for_picks_by_scheme(tmp_path: Path) -> None:
    assert isinstance(peers_for("memory://x", 45), MemoryPeers)
    assert isinstance(peers_for(f"sqlite:///{tmp_path / 'q.db'}", 45), SqlPeers)
    assert isinstance(peers_for("redis://127.0.0.1:6379/0", 45), StaticPeers)


async def test_unreachable_registry_is_a_runner_error() -> None:
    peers = SqlPeers("postgresql://nobody@127.0.0.1:1/none", ttl=45)
    try:
        with pytest.raises(RunnerError, match="reportflow_runners"):
            await peers.beat("runner-a", 1.0)
    finally:
        await peers.close()


def test_bad_static_count() -> None:
    with pytest.raises(RunnerError, match="count"):
        StaticPeers(0)
