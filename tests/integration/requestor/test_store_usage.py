"""The submission limits' one query, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reportflow.store import ReportStatus, Store, reports, users

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = (
        f"sqlite:///{tmp_path / 's.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    opened = await Store.open(url)
    yield opened
    await opened.close()


async def test_usage_counts_in_flight_and_recent_submissions_per_user(store: Store) -> None:
    async with store.transaction() as db:
        ann = await users.create_user(db, "ann")
        bob = await users.create_user(db, "bob")
        assert await reports.usage(db, ann.id, 0.0) == (0, 0, None)
        for i, (user, at) in enumerate([(ann, 100.0), (ann, 200.0), (ann, 300.0), (bob, 250.0)]):
            await reports.insert_report(
                db,
                id=f"r{i}",
                user_id=user.id,
                report="sales",
                params={},
                formats=["csv"],
                request_hash="h",
                at=at,
            )
        await reports.update_report(db, "r0", ReportStatus.SUCCEEDED, {})
        assert await reports.usage(db, ann.id, 150.0) == (2, 2, 200.0)
        assert await reports.usage(db, ann.id, 0.0) == (2, 3, 100.0)
        assert await reports.usage(db, bob.id, 300.0) == (1, 0, None)
