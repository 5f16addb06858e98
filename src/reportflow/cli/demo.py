"""``reportflow demo-data``: build the demo warehouse the demo reports read."""

from __future__ import annotations

import sys
import time

import click

from reportflow.config import load_settings
from reportflow.demo import DEFAULT_ROWS, DEFAULT_SEED, build_warehouse


@click.command("demo-data")
@click.option("--url", help="SQLAlchemy URL; default: the 'warehouse' connection.")
@click.option(
    "--rows",
    type=click.IntRange(min=2),
    default=DEFAULT_ROWS,
    show_default=True,
    help="General-ledger lines to generate.",
)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def demo_data(url: str | None, rows: int, seed: int, quiet: bool) -> None:
    """Build (or rebuild) the demo warehouse: ledger, gages, machines."""
    target = url or load_settings().connection_url("warehouse")
    started = time.perf_counter()
    with click.progressbar(length=rows, label="gl_entries", hidden=quiet, file=sys.stderr) as bar:
        last = 0

        def progress(table: str, done: int, expected: int | None) -> None:
            nonlocal last
            if table == "gl_entries":
                bar.update(done - last)
                last = done

        counts = build_warehouse(target, rows, seed, progress=progress)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{table} {count}" for table, count in counts.items())
    click.echo(f"demo warehouse ready in {elapsed:.1f} s: {summary}")
