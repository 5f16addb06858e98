"""One queue fixture over every backend: memory, SQLite (tmp_path), PostgreSQL (fresh DB)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reportflow import sqlite_inline
from reportflow.queue import Queue, connect


@dataclass
class Backend:
    """A backend under test: its URL and how a caller reaches the same database."""

    name: str
    url: str
    sqlalchemy_url: str | None  # None for memory (no transactional enqueue)

    def open(self) -> Queue:
        """Another queue object on the same store (another 'process')."""
        return connect(self.url)


BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite", marks=pytest.mark.integration),
    pytest.param("postgres", id="postgres", marks=pytest.mark.integration),
]


@pytest.fixture
def make_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], Backend]:
    """Build the backend of a kind: memory, sqlite or postgres (a fresh database)."""

    def make(kind: str) -> Backend:
        if kind == "memory":
            return Backend(kind, f"memory://test-{uuid.uuid4().hex}", None)
        if kind == "sqlite":
            path = tmp_path / "queue.db"
            return Backend(kind, f"sqlite:///{path}", f"sqlite+{sqlite_inline.DRIVER}:///{path}")
        pg: str = request.getfixturevalue("postgres_url")
        return Backend(kind, pg, pg.replace("postgresql://", "postgresql+asyncpg://", 1))

    return make


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, make_backend: Callable[[str], Backend]) -> Backend:
    return make_backend(request.param)


@pytest.fixture
async def queue(backend: Backend) -> AsyncIterator[Queue]:
    async with backend.open() as q:
        yield q


@pytest.fixture
async def other_queue(backend: Backend, queue: Queue) -> AsyncIterator[Queue]:
    """A second queue object on the same store, opened after ``queue``."""
    async with backend.open() as q:
        yield q
