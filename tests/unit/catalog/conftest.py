"""Helpers for catalog tests: write definition files into a temporary catalog."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from reportflow.catalog import Catalog, Registry

WriteFile = Callable[[str, str], Path]


@pytest.fixture
def write(tmp_path: Path) -> WriteFile:
    """``write("a.yaml", text)``: a dedented file in the temporary catalog directory."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def load(tmp_path: Path) -> Callable[[], Catalog]:
    """Load the temporary catalog directory alone (no Python reports)."""
    return lambda: Catalog.load([tmp_path], registry=Registry())
