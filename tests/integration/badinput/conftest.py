"""Fixtures of the bad-input audit: a requestor on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from badinput_kit import Requestor, requestor


@pytest.fixture(params=["sqlite", "postgres"])
async def rf(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Requestor]:
    """The requestor over each store a deployment may choose."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'reportflow.db'}"
    async with requestor(url, tmp_path) as running:
        yield running


@pytest.fixture
async def rf_sqlite(tmp_path: Path) -> AsyncIterator[Requestor]:
    """The requestor over SQLite only (for checks the store does not change)."""
    async with requestor(f"sqlite:///{tmp_path / 'reportflow.db'}", tmp_path) as running:
        yield running
