"""``reportflow reports list|show|check`` and ``reportflow demo-data`` through click."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from jsonschema import Draft202012Validator

from reportflow.cli.main import cli

REPO_REPORTS = Path(__file__).resolve().parents[3] / "reports"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_yaml_and_python_reports() -> None:
    code, out, err = run("reports", "list", "--catalog", str(REPO_REPORTS))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "TITLE", "TAGS", "FORMATS"]
    names = [line.split()[0] for line in lines[1:]]
    assert names == sorted(names)
    assert {"trial_balance", "machine_mtbf", "gage_calibration_due", "noop", "sleep"} <= set(names)
    trial = next(line for line in lines if line.startswith("trial_balance"))
    assert "finance,general-ledger" in trial
    assert trial.rstrip().endswith("csv,xlsx")


def test_show_describes_a_report() -> None:
    code, out, _ = run("reports", "show", "gage_calibration_due", "--catalog", str(REPO_REPORTS))
    assert code == 0
    assert "within_days (integer, default=30, minimum=0, maximum=3650)" in out
    assert "as_of (date)" in out
    assert "query file: gage_calibration_due.sql" in out
    assert "transform[0]: sql WITH history AS (" in out
    assert "formats: csv, xlsx, html" in out


def test_show_json_prints_a_valid_schema() -> None:
    code, out, _ = run("reports", "show", "trial_balance", "--json", "--catalog", str(REPO_REPORTS))
    assert code == 0
    schema = json.loads(out)
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["period_from"]["pattern"] == "^[0-9]{4}-(0[1-9]|1[0-2])$"
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"period_from": "2025-03"})
    assert not validator.is_valid({"period_from": "2025-13"})


def test_show_unknown_report_is_one_line_and_exit_2() -> None:
    code, out, err = run("reports", "show", "trial_balanse", "--catalog", str(REPO_REPORTS))
    assert code == 2
    assert out == ""
    assert err == "error: unknown report 'trial_balanse'; did you mean trial_balance?\n"


def test_check_passes_on_the_demo_catalog() -> None:
    code, out, _ = run("reports", "check", "--catalog", str(REPO_REPORTS))
    assert code == 0
    assert out.strip().splitlines()[-1].endswith("reports OK")
    count = int(out.strip().split()[0])
    assert count >= 5


def test_check_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("source: {connection: w, query: 'SELECT :x'}\nformats: [pdf]\n")
    unused = tmp_path / "unused.yaml"
    unused.write_text("parameters: [{name: p}]\nsource: {connection: w, query: SELECT 1}\n")
    code, out, err = run("reports", "check", "--catalog", str(tmp_path))
    assert code == 1
    assert f"{bad}:2: formats[0]: unknown output format 'pdf'" in out
    expected = "parameter 'p' is not used by the query or any sql step"
    assert f"{unused}:1: warning: parameters[0].name: {expected}" in out
    assert err == "1 problem(s) in the catalog\n"


def test_list_mentions_problems_on_stderr(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("nope: [\n")
    code, out, err = run("reports", "list", "--catalog", str(tmp_path))
    assert code == 0
    assert "bad" not in out
    assert "1 catalog problem(s)" in err


def test_demo_data_builds_a_sqlite_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "dir" / "wh.db"
    code, out, err = run("demo-data", "--url", f"sqlite:///{db}", "--rows", "50", "--quiet")
    assert code == 0, err
    assert "gl_entries 50" in out
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM gl_entries").fetchone() == (50,)


def test_demo_data_refuses_too_few_rows(tmp_path: Path) -> None:
    code, _, err = run("demo-data", "--url", f"sqlite:///{tmp_path / 'x.db'}", "--rows", "1")
    assert code == 2
    assert "--rows" in err


def test_demo_data_bad_url_is_one_line() -> None:
    code, _, err = run("demo-data", "--url", "not a url", "--quiet")
    assert code == 2
    assert err == "error: not a database URL: 'not a url'\n"
