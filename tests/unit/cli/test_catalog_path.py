"""Which catalog the server commands load when none is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportflow.cli import catalog_path
from reportflow.cli.catalog_path import apply_catalog, choose_catalog, shipped_catalog
from reportflow.config import Settings


def test_configured_catalog_is_kept_even_when_missing(tmp_path: Path) -> None:
    settings = Settings(catalog=[tmp_path / "mine"])
    choice = choose_catalog(settings, cwd=tmp_path)
    assert choice.paths == [tmp_path / "mine"]
    assert choice.note is None


def test_reports_in_the_working_directory_win(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    choice = choose_catalog(Settings(), cwd=tmp_path)
    assert choice.paths == [Path("reports")]
    assert choice.note is None


def test_elsewhere_falls_back_to_the_shipped_demo_catalog(tmp_path: Path) -> None:
    shipped = shipped_catalog()
    assert shipped is not None  # a checkout or a wheel has one
    assert (shipped / "trial_balance.yaml").is_file()
    settings = Settings()
    note = apply_catalog(settings, cwd=tmp_path)
    assert settings.catalog == [shipped]
    assert note is not None
    assert f"no reports/ in {tmp_path}" in note
    assert str(shipped) in note


def test_no_shipped_catalog_warns_and_serves_built_ins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_path, "SHIPPED_CATALOGS", (tmp_path / "none",))
    choice = choose_catalog(Settings(), cwd=tmp_path)
    assert choice.paths == []
    assert choice.note is not None
    assert choice.note.startswith("warning: no reports/ in ")
    assert "REPORTFLOW_CATALOG" in choice.note


def test_catalog_from_the_environment_counts_as_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTFLOW_CATALOG", '["reports"]')
    choice = choose_catalog(Settings(), cwd=tmp_path)
    assert choice.paths == [Path("reports")]
    assert choice.note is None
