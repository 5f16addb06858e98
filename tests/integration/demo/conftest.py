"""The demo warehouse on each database reportflow supports."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportflow.catalog import Catalog

REPO_REPORTS = Path(__file__).resolve().parents[3] / "reports"


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL of each kind (fresh per test)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    fixture = "postgres_url" if request.param == "postgresql" else "mariadb_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(scope="session")
def demo_catalog() -> Catalog:
    catalog = Catalog.load([REPO_REPORTS], modules=["reportflow.demo.reports"])
    assert catalog.check() == []
    return catalog
