"""``reportflow runner`` and ``reportflow up`` (filled in by the runner)."""

import click


@click.command()
def runner() -> None:
    """Run a report runner."""


@click.command()
def up() -> None:
    """Run everything in one process."""
