from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from requestor_harness import Harness, harness


@pytest.fixture
async def rf(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path) as h:
        await h.add_user("ann")
        await h.add_user("bob")
        await h.add_user("root", admin=True)
        yield h
