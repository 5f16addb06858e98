"""The ``reportflow`` command.

Every subcommand lives in its own module, listed in :data:`COMMANDS` with its
one-line help and imported only when it runs (:class:`LazyGroup`), so
``reportflow --help`` starts in a fraction of a second instead of importing
the ETL engine and the web stack. A ``ReportflowError`` becomes one line on
stderr and exit code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from reportflow.cli.lazy import LazyCommand, LazyGroup
from reportflow.errors import ReportflowError

EXIT_USAGE = 2

#: name -> where the command lives and its short help (a unit test keeps the two in step).
COMMANDS: dict[str, LazyCommand] = {
    "deliveries": LazyCommand(
        "reportflow.cli.requestor:deliveries",
        "Inspect and retry runner→requestor webhook deliveries (the outbox).",
    ),
    "demo-data": LazyCommand(
        "reportflow.cli.demo:demo_data",
        "Build (or rebuild) the demo warehouse: ledger, gages, machines.",
    ),
    "jobs": LazyCommand("reportflow.cli.runner:jobs", "Inspect jobs on the queue."),
    "notifier": LazyCommand(
        "reportflow.cli.notifier:notifier",
        "Run the Alertmanager receiver (POST /hooks/alertmanager).",
    ),
    "queue": LazyCommand("reportflow.cli.runner:queue_group", "Inspect the queue."),
    "reports": LazyCommand("reportflow.cli.reports:reports", "Inspect the report catalog."),
    "requestor": LazyCommand(
        "reportflow.cli.requestor:requestor",
        "Serve the requestor API (no runner) until SIGINT/SIGTERM.",
    ),
    "run": LazyCommand(
        "reportflow.cli.run:run",
        "Run one report locally and print its artifacts (path, size, rows, sha256).",
    ),
    "runner": LazyCommand(
        "reportflow.cli.runner:runner",
        "Run a report runner until SIGTERM/SIGINT (a second signal stops at once).",
    ),
    "scale": LazyCommand(
        "reportflow.cli.scale:scale",
        "Resize a running runner's pool (exactly one of --target or --delta).",
    ),
    "submit": LazyCommand(
        "reportflow.cli.runner:submit", "Put a report request on the queue and print its job id."
    ),
    "token": LazyCommand("reportflow.cli.requestor:token", "Manage API tokens."),
    "up": LazyCommand(
        "reportflow.cli.up:up",
        "Run the whole system in one process on one port (web app, runner, notifier).",
    ),
    "user": LazyCommand("reportflow.cli.requestor:user", "Manage requestor users."),
}


class _Group(LazyGroup):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReportflowError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)


@click.group(cls=_Group, lazy=COMMANDS)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="reportflow")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """reportflow: report requests in, finished reports out."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main() -> None:
    cli()
