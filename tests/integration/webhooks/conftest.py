"""Fixtures for the webhook tests: a loopback receiver and outbox databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from webhook_receiver import Receiver

from reportflow.webhooks import Outbox, generate_secret


@pytest.fixture
def secret() -> str:
    return generate_secret()


@pytest.fixture
async def receiver(secret: str) -> AsyncIterator[Receiver]:
    rec = Receiver([secret])
    await rec.start()
    yield rec
    await rec.stop()


@pytest.fixture
async def down_receiver(secret: str) -> AsyncIterator[Receiver]:
    """A receiver whose address refuses connections until the test calls ``start()``."""
    rec = Receiver([secret])
    yield rec
    await rec.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def outbox_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'outbox.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def sqlite_outbox(tmp_path: Any) -> AsyncIterator[Outbox]:
    """An outbox on SQLite only, for tests of what sits above the store."""
    box = Outbox.from_url(f"sqlite:///{tmp_path / 'outbox.db'}")
    await box.create_tables()
    yield box
    await box.close()


@pytest.fixture
async def outbox(outbox_url: str) -> AsyncIterator[Outbox]:
    box = Outbox.from_url(outbox_url)
    await box.create_tables()
    yield box
    await box.close()
