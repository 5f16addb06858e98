"""The ``reportflow`` command.

Every subcommand lives in its own module and is registered here. A
``ReportflowError`` becomes one line on stderr and exit code 2; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from reportflow.cli import demo, notifier, reports, requestor, run, runner, scale
from reportflow.errors import ReportflowError

EXIT_USAGE = 2


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReportflowError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="reportflow")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """reportflow: report requests in, finished reports out."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


cli.add_command(reports.reports)
cli.add_command(demo.demo_data)
cli.add_command(run.run)
cli.add_command(runner.runner)
cli.add_command(runner.up)
cli.add_command(runner.submit)
cli.add_command(runner.jobs)
cli.add_command(runner.queue_group)
cli.add_command(notifier.notifier)
cli.add_command(requestor.requestor)
cli.add_command(requestor.user)
cli.add_command(requestor.token)
cli.add_command(requestor.deliveries)
cli.add_command(scale.scale)


def main() -> None:
    cli()
