"""``reportflow reports list|show|check`` (filled in by the catalog)."""

import click


@click.group()
def reports() -> None:
    """Inspect the report catalog."""
