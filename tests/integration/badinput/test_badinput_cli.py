"""Every ``reportflow`` command under bad arguments: exit 2, no traceback, the
culprit named on one ``error:`` line, and nothing written.

Click's own usage errors (a missing argument, a value out of an option's
range) print the usage hint above their one ``Error:`` line, as every click
program does; reportflow's errors are the single ``error:`` line.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportflow.cli.main import cli

pytestmark = pytest.mark.integration

REPORTFLOW = [sys.executable, "-c", "from reportflow.cli.main import main; main()"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home (store, queue) with user ann; the demo catalog of the repo."""
    home = tmp_path / "home"
    monkeypatch.setenv("REPORTFLOW_HOME", str(home))
    monkeypatch.delenv("REPORTFLOW_DATABASE_URL", raising=False)
    monkeypatch.delenv("REPORTFLOW_QUEUE_URL", raising=False)
    monkeypatch.chdir(Path(__file__).parents[3])  # the demo catalog in reports/
    assert invoke("user", "add", "ann", "--no-password").exit_code == 0
    return home


def invoke(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def rows(home: Path, table: str) -> int:
    with sqlite3.connect(home / "reportflow.db") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def queued_jobs(home: Path) -> int:
    result = invoke("queue", "stats")
    assert result.exit_code == 0, result.output
    counts = [line.split() for line in result.stdout.splitlines() if not line.startswith("oldest")]
    return sum(int(count) for _state, count in counts)


def assert_refused(result: Result, says: str) -> None:
    """Exit 2, no traceback, and exactly one error line that names the culprit."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.lower().startswith("error")]
    assert len(errors) == 1, result.stderr
    assert says in errors[0], errors[0]


MALFORMED: list[tuple[list[str], str]] = [
    (["nope"], "No such command 'nope'"),
    (["--bogus"], "No such option '--bogus'"),
    (["user", "add"], "Missing argument 'NAME'"),
    (["user", "add", "", "--no-password"], "user name ''"),
    (["user", "add", "two words", "--no-password"], "user name 'two words'"),
    (["user", "add", "../etc", "--no-password"], "user name '../etc'"),
    (["token", "create", "nobody"], "no user named 'nobody'"),
    (["token", "create", "ann", "--expires-days", "-1"], "'--expires-days'"),
    (["token", "create", "ann", "--expires-days", "soon"], "'--expires-days'"),
    (["deliveries", "list", "--limit", "0"], "'--limit'"),
    (["deliveries", "list", "--outbox-url", "bogus://x"], "'bogus'"),
    (["deliveries", "redeliver", "msg_nope"], "'msg_nope'"),
    (["requestor", "--port", "0"], "'--port'"),
    (["up", "--port", "70000"], "'--port'"),
    (["notifier", "--port", "http"], "'--port'"),
    (["notifier", "--check"], "--check needs --config"),
    (["notifier", "--config", "missing.yaml", "--check"], "missing.yaml"),
    (["runner", "--concurrency", "-1"], "'--concurrency'"),
    (["runner", "--queue-url", "bogus://x"], "unknown queue URL scheme 'bogus'"),
    (["runner", "--executor", "nomodule"], "--executor 'nomodule'"),
    (["submit", "noop", "--priority", "high"], "'--priority'"),
    (["submit", "slep"], "unknown report 'slep'"),
    (["submit", "sleep", "-p", "seconds"], "'seconds' is not NAME=VALUE"),
    (["submit", "sleep", "-p", "seconds=soon"], "seconds"),
    (["jobs", "show", "nope"], "no job with id 'nope'"),
    (["jobs", "cancel", "nope"], "no job with id 'nope'"),
    (["queue", "stats", "--queue-url", "bogus://x"], "'bogus'"),
    (["scale"], "exactly one of --target or --delta"),
    (["scale", "--target", "-1"], "'--target'"),
    (["demo-data", "--rows", "1"], "'--rows'"),
    (["reports", "show", "nope"], "unknown report 'nope'"),
    (["run", "nope"], "unknown report 'nope'"),
    (["run", "noop", "-p", "x"], "'x' is not key=value"),
    (["run", "noop", "-f", "pdf"], "'-f'"),
]

OVERSIZED: list[tuple[list[str], str]] = [
    (["user", "add", "a" * 5000, "--no-password"], "must be 1-64 letters"),
    (["token", "create", "ann", "--name", "n" * 10_000], "token name is longer than 100"),
    (["jobs", "show", "j" * 100_000], "longer than 200 characters"),
    (["jobs", "cancel", "j" * 100_000], "longer than 200 characters"),
    (["deliveries", "redeliver", "m" * 100_000], "in the outbox"),
    (["submit", "noop", "--priority", "9" * 30], "priority must be between"),
    (["submit", "noop", "--max-attempts", "9" * 30], "max_attempts must be between"),
    (["submit", "noop", "--no-check", "--priority", "9" * 30], "priority must be between"),
    (["submit", "sleep", "-p", "seconds=" + "9" * 5000], "seconds"),
    (["run", "noop", "-p", "x=" + "a" * 100_000], "unknown parameter"),
    (["demo-data", "--rows", "9" * 30, "--url", "bogus://"], "bogus"),
]


@pytest.mark.parametrize(("args", "says"), MALFORMED, ids=[" ".join(a)[:60] for a, _ in MALFORMED])
def test_malformed_arguments(home: Path, args: list[str], says: str) -> None:
    before = (rows(home, "rf_users"), queued_jobs(home))
    assert_refused(invoke(*args), says)
    assert (rows(home, "rf_users"), queued_jobs(home)) == before


@pytest.mark.parametrize(("args", "says"), OVERSIZED, ids=[" ".join(a)[:60] for a, _ in OVERSIZED])
def test_oversized_arguments(home: Path, args: list[str], says: str) -> None:
    before = (rows(home, "rf_users"), rows(home, "rf_api_tokens"), queued_jobs(home))
    assert_refused(invoke(*args), says)
    after = (rows(home, "rf_users"), rows(home, "rf_api_tokens"), queued_jobs(home))
    assert after == before


def test_a_short_password_from_stdin_adds_no_user(home: Path) -> None:
    result = invoke("user", "add", "bob", "--password-stdin", stdin="short\n")
    assert_refused(result, "shorter than 8 characters")
    assert rows(home, "rf_users") == 1


def test_adding_a_user_twice_keeps_one(home: Path) -> None:
    assert_refused(invoke("user", "add", "ann", "--no-password"), "user 'ann' already exists")
    assert rows(home, "rf_users") == 1


def test_a_second_cancel_changes_nothing(home: Path) -> None:
    job = invoke("submit", "noop")
    assert job.exit_code == 0, job.output
    job_id = job.stdout.strip()
    first = invoke("jobs", "cancel", job_id)
    again = invoke("jobs", "cancel", job_id)
    assert (first.exit_code, again.exit_code) == (0, 0), again.output
    assert first.stdout == again.stdout == f"{job_id} cancelled\n"
    assert queued_jobs(home) == 1


def test_debug_shows_the_traceback(home: Path) -> None:
    from reportflow.errors import JobNotFoundError

    result = invoke("--debug", "jobs", "show", "nope")
    assert isinstance(result.exception, JobNotFoundError)
    assert "no job with id 'nope'" in str(result.exception)


def test_the_installed_command_prints_one_line(home: Path) -> None:
    """The real entry point in a fresh process, as a shell sees it."""
    done = subprocess.run(
        [*REPORTFLOW, "jobs", "show", "x" * 300],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: job_id is longer than 200 characters")


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [
        ["requestor"],
        ["notifier"],
        ["up"],
    ],
)
def test_a_taken_port_is_an_error_line_not_a_traceback(
    home: Path, taken_port: int, command: list[str]
) -> None:
    done = subprocess.run(
        [*REPORTFLOW, *command, "--port", str(taken_port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "address already in use" in output
    assert "Traceback" not in output
