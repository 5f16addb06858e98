"""Fixtures for the notifier's integration tests (servers are in ``notifier_servers``)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Route

# The v4 payload samples live with the unit tests; share them rather than copy them.
sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "notifier"))

from notifier_servers import Capture, TlsFiles, make_tls_files, serve


@pytest.fixture
async def capture() -> AsyncIterator[Capture]:
    cap = Capture()
    app = Starlette(routes=[Route("/{path:path}", cap.handle, methods=["POST", "PUT", "PATCH"])])
    async with serve(app) as base:
        cap.base = base
        yield cap


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1, made here so no key is checked in."""
    pytest.importorskip("cryptography")
    return make_tls_files(tmp_path_factory.mktemp("tls"))
