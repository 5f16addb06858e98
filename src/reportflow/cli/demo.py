"""``reportflow demo-data`` (filled in by the catalog)."""

import click


@click.command("demo-data")
def demo_data() -> None:
    """Build the demo warehouse."""
