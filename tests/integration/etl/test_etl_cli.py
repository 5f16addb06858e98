"""``reportflow run`` against the demo catalog and warehouse."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportflow.cli.main import cli
from reportflow.demo import build_warehouse

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
CATALOG = REPO / "reports"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    build_warehouse(f"sqlite:///{home / 'warehouse.db'}", rows=2000)
    monkeypatch.setenv("REPORTFLOW_HOME", str(home))
    monkeypatch.setenv("REPORTFLOW_CONFIG", str(tmp_path / "absent.toml"))
    return home


def test_run_prints_each_artifact(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["run", "trial_balance", "--catalog", str(CATALOG), "--out", str(out), "-f", "csv",
         "-f", "xlsx", "-p", "period_from=2025-01", "--job-id", "cli1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith(str(out))]
    assert len(lines) == 2
    for line in lines:
        path, size, rows, digest = line.split("\t")
        data = Path(path).read_bytes()
        assert size == f"{len(data)} bytes"
        assert rows.endswith(" rows")
        assert digest == f"sha256:{hashlib.sha256(data).hexdigest()}"
    assert (out / "cli1" / "trial_balance.csv").read_text().startswith('"code","name","type"')


def test_bad_parameter_is_one_line_exit_2(home: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["run", "trial_balance", "--catalog", str(CATALOG), "-p", "period_from=2025-13",
              "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "period_from" in result.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("*.csv"))


def test_unwritable_out_dir_is_one_line_exit_2(home: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = CliRunner().invoke(
        cli, ["run", "trial_balance", "--catalog", str(CATALOG), "--out", str(blocker / "sub")]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: artifact store ")
    assert result.stderr.count("\n") == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_out_dir(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    result = CliRunner().invoke(
        cli, ["run", "trial_balance", "--catalog", str(CATALOG), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "not writable" in result.stderr or "cannot create" in result.stderr


def test_unknown_report_exit_2(home: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["run", "nope", "--catalog", str(CATALOG), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "nope" in result.stderr
