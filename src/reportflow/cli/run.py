"""``reportflow run`` (filled in by the ETL)."""

import click


@click.command()
def run() -> None:
    """Run one report locally."""
