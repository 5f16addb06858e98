"""The submission limits' one query, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

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


async def _submit(db: AsyncConnection, report_id: str, user_id: int, at: float) -> None:
    await reports.insert_report(
        db,
        id=report_id,
        user_id=user_id,
        report="sales",
        params={},
        formats=["csv"],
        request_hash="h",
        at=at,
    )


async def test_usage_reads_in_flight_and_the_window_per_user(store: Store) -> None:
    async with store.transaction() as db:
        ann = await users.create_user(db, "ann")
        bob = await users.create_user(db, "bob")
        caps = {"max_in_flight": 10, "per_window": 2}
        assert await reports.usage(db, ann.id, 0.0, **caps) == (0, None)
        for i, (user, at) in enumerate([(ann, 100.0), (ann, 200.0), (ann, 300.0), (bob, 250.0)]):
            await _submit(db, f"r{i}", user.id, at)
        await reports.update_report(db, "r0", ReportStatus.SUCCEEDED, {})
        # ann's 2nd newest after 150 is the one at 200: the window is full until it leaves.
        assert await reports.usage(db, ann.id, 150.0, **caps) == (2, 200.0)
        assert await reports.usage(db, ann.id, 0.0, **caps) == (2, 200.0)
        assert await reports.usage(db, ann.id, 0.0, max_in_flight=10, per_window=3) == (2, 100.0)
        assert await reports.usage(db, ann.id, 250.0, **caps) == (2, None)  # one in the window
        assert await reports.usage(db, bob.id, 300.0, **caps) == (1, None)


async def test_usage_stops_counting_at_the_limits(store: Store) -> None:
    async with store.transaction() as db:
        ann = await users.create_user(db, "ann")
        for i in range(30):
            await _submit(db, f"r{i:02}", ann.id, 1000.0 + i)
        # 30 in flight, 30 in the window: counted up to the limits, no further.
        assert await reports.usage(db, ann.id, 0.0, max_in_flight=5, per_window=7) == (5, 1023.0)
        assert await reports.usage(db, ann.id, 0.0, max_in_flight=40, per_window=30) == (30, 1000.0)
        assert await reports.usage(db, ann.id, 0.0, max_in_flight=40, per_window=31) == (30, None)


async def test_usage_with_a_limit_off(store: Store) -> None:
    async with store.transaction() as db:
        ann = await users.create_user(db, "ann")
        await _submit(db, "r0", ann.id, 100.0)
        assert await reports.usage(db, ann.id, 0.0, max_in_flight=0, per_window=1) == (0, 100.0)
        assert await reports.usage(db, ann.id, 0.0, max_in_flight=3, per_window=0) == (1, None)
        assert await reports.usage(db, ann.id, 0.0, max_in_flight=0, per_window=0) == (0, None)
