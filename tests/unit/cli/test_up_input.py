"""``reportflow up`` refuses bad configuration with one line, before it makes anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reportflow.cli.main import cli


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPORTFLOW_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_broken_notifier_yaml_is_one_line_and_nothing_is_made(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "notifier.yaml"
    config.write_text("route:\n  receiver: nobody\n")
    monkeypatch.setenv("REPORTFLOW_NOTIFIER_CONFIG", str(config))
    result = CliRunner().invoke(cli, ["up", "--port", "0"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ")
    assert "nobody" in result.stderr
    assert not home.exists()


def test_bad_setting_names_the_field(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTFLOW_RUNNER__CONCURRENCY", "-1")
    result = CliRunner().invoke(cli, ["up", "--port", "0"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: bad setting runner.concurrency: Input should be greater than or equal to 0\n"
    )
    assert not home.exists()
