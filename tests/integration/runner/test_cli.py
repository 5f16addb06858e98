"""``reportflow submit``, ``jobs show|cancel`` and ``queue stats`` on a SQLite queue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportflow.cli.main import cli

pytestmark = pytest.mark.integration


@pytest.fixture
def invoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("REPORTFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REPORTFLOW_CATALOG", "[]")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_submit_show_cancel_and_stats(invoke: CliRunner) -> None:
    submitted = invoke.invoke(cli, ["submit", "sleep", "-p", "seconds=2", "--priority", "5"])
    assert submitted.exit_code == 0, submitted.output
    job_id = submitted.output.strip()

    shown = invoke.invoke(cli, ["jobs", "show", job_id])
    assert shown.exit_code == 0, shown.output
    job = json.loads(shown.output)
    assert (job["report"], job["params"], job["priority"], job["state"]) == (
        "sleep",
        {"seconds": "2"},
        5,
        "queued",
    )

    stats = invoke.invoke(cli, ["queue", "stats"])
    assert stats.exit_code == 0
    assert "queued     1" in stats.output

    cancelled = invoke.invoke(cli, ["jobs", "cancel", job_id])
    assert cancelled.output.strip() == f"{job_id} cancelled"
    assert "cancelled  1" in invoke.invoke(cli, ["queue", "stats"]).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["submit", "sleep", "-p", "seconds=soon"], "error: report 'sleep': invalid parameters"),
        (["submit", "slep"], "error: unknown report 'slep'; did you mean sleep?"),
        (["submit", "sleep", "-p", "seconds"], "'seconds' is not NAME=VALUE"),
        (["jobs", "show", "nope"], "error: no job with id 'nope'"),
        (["runner", "--executor", "nomodule"], "error: --executor 'nomodule' must look like"),
        (["runner", "--executor", "json:nothing"], "json has no callable 'nothing'"),
    ],
)
def test_bad_input_gives_one_clear_line(invoke: CliRunner, args: list[str], message: str) -> None:
    result = invoke.invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.output
