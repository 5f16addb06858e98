"""Helpers for the ETL unit tests: a small SQLite warehouse and a local store."""

from __future__ import annotations

import datetime
import sqlite3
from pathlib import Path

import pytest
from etl_helpers import GL_ROWS

from reportflow.artifacts import LocalArtifactStore
from reportflow.config import Settings


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A SQLite file with ``gl``: id, account, day (ISO text), amount."""
    path = tmp_path / "warehouse.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE gl (id INTEGER, account TEXT, day TEXT, amount REAL)")
    start = datetime.date(2024, 1, 1)
    conn.executemany(
        "INSERT INTO gl VALUES (?, ?, ?, ?)",
        (
            (i, f"A{i % 5}", (start + datetime.timedelta(days=i % 60)).isoformat(), i * 0.5)
            for i in range(GL_ROWS)
        ),
    )
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def store(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def settings(warehouse: Path, tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", connections={"wh": f"sqlite:///{warehouse}"})
