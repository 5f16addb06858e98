from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from web_harness import Web, web_app


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Web]:
    async with web_app(tmp_path) as running:
        yield running
