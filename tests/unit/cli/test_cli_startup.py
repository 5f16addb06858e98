"""The ``reportflow`` group loads its subcommands lazily and keeps ``--help`` complete."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from reportflow.cli.lazy import LazyCommand, LazyGroup
from reportflow.cli.main import COMMANDS, cli

HEAVY = ("duckdb", "pyarrow", "fastapi", "sqlalchemy", "numba", "uvicorn", "httpx")


def _modules_after(*args: str) -> tuple[list[str], str]:
    """Run the CLI in a fresh interpreter; return which HEAVY modules it imported, and stdout."""
    code = (
        "import io, json, sys, contextlib\n"
        "from reportflow.cli.main import cli\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    cli({list(args)!r}, standalone_mode=False)\n"
        f"print(json.dumps([[m for m in {HEAVY!r} if m in sys.modules], out.getvalue()]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=50, check=True
    )
    loaded, out = json.loads(done.stdout.splitlines()[-1])
    return loaded, out


def test_help_imports_no_heavy_library_and_lists_every_command() -> None:
    loaded, out = _modules_after("--help")
    assert loaded == []
    listed = out.split("Commands:")[1]
    for name in COMMANDS:
        assert f"\n  {name} " in listed, name


def test_reports_list_imports_neither_the_etl_nor_the_web_stack() -> None:
    loaded, out = _modules_after("reports", "list")
    assert not {"duckdb", "pyarrow", "fastapi", "numba", "sqlalchemy"} & set(loaded)
    assert out.startswith("NAME")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_table_matches_the_command_it_names(name: str) -> None:
    command = cli.load(name)
    assert command.name == name
    # The table's help is what the command's own docstring says, so --help never drifts.
    assert command.get_short_help_str(limit=1000) == COMMANDS[name].short_help


def test_subcommand_help_loads_the_subcommand() -> None:
    result = CliRunner().invoke(cli, ["queue", "--help"])
    assert result.exit_code == 0
    assert "stats" in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["nope"])
    assert result.exit_code == 2
    assert "No such command 'nope'" in result.output


def test_a_table_entry_that_is_not_a_command_fails_loudly() -> None:
    group = LazyGroup(lazy={"bad": LazyCommand("reportflow.cli.main:COMMANDS", "Bad.")})
    with pytest.raises(TypeError, match=r"reportflow.cli.main:COMMANDS is not a click command"):
        group.load("bad")


def test_eager_and_lazy_commands_list_together() -> None:
    @click.command()
    def hello() -> None:
        """Say hello."""

    group = LazyGroup(lazy={"up": COMMANDS["up"]})
    group.add_command(hello)
    result = CliRunner().invoke(group, ["--help"])
    assert result.exit_code == 0
    lines = result.output.split("Commands:")[1].split()
    assert lines[:4] == ["hello", "Say", "hello.", "up"]
