"""``reportflow run REPORT -p key=value …``: run one report here and now.

The report runs in this process through the same :func:`run_report` the
runner uses; artifacts go to ``--out DIR`` or the configured artifact store.
A progress line goes to stderr when it is a terminal.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from reportflow.catalog import Catalog, OutputFormat, ReportDefinition, bind_parameters
from reportflow.config import Settings, load_settings
from reportflow.errors import ConfigError, ETLError

if TYPE_CHECKING:
    # The ETL engine (DuckDB, pyarrow, numba) loads when a report runs, not for --help.
    from reportflow.artifacts import ArtifactStore
    from reportflow.etl import Progress, RunResult


def parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``key=value`` pairs into a mapping; a repeated key collects a list."""
    raw: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="-p/--param")
        if key in raw:
            previous = raw[key]
            raw[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            raw[key] = value
    return raw


class _ProgressLine:
    """One rewritten line on a terminal; silent otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.started = time.perf_counter()

    async def __call__(self, progress: Progress) -> None:
        if not self.live:
            return
        percent = f" {progress.percent:5.1f}%" if progress.percent is not None else ""
        elapsed = time.perf_counter() - self.started
        line = f"{progress.stage:<9}{percent} {progress.rows:>12,} rows  {elapsed:6.1f} s"
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()

    def finish(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _store(out: Path | None, artifacts_url: str) -> ArtifactStore:
    from reportflow.artifacts import LocalArtifactStore, open_store

    if out is None:
        return open_store(artifacts_url)
    store = LocalArtifactStore(out)
    store.check_writable()
    return store


def _print_result(result: RunResult, elapsed: float) -> None:
    for artifact in result.artifacts:
        click.echo(
            f"{artifact.location}\t{artifact.size} bytes\t{artifact.rows} rows\t"
            f"sha256:{artifact.sha256}"
        )
    if result.loaded_rows is not None:
        click.echo(f"loaded {result.loaded_rows} rows")
    click.echo(f"{result.rows} rows in {elapsed:.2f} s", err=True)


@click.command()
@click.argument("report")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A report parameter; repeat a key for a multi-choice list.",
)
@click.option(
    "-f",
    "--format",
    "formats",
    multiple=True,
    type=click.Choice([f.value for f in OutputFormat]),
    help="Output format (repeatable); default: the report's formats.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write artifacts under this directory instead of the artifact store.",
)
@click.option(
    "--catalog",
    "catalog_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Report directory or file (repeatable); default: settings.catalog.",
)
@click.option("--job-id", help="Artifact key prefix; default: a new id.")
def run(
    report: str,
    params: tuple[str, ...],
    formats: tuple[str, ...],
    out: Path | None,
    catalog_paths: tuple[Path, ...],
    job_id: str | None,
) -> None:
    """Run one report locally and print its artifacts (path, size, rows, sha256)."""
    overrides: dict[str, Any] = {"catalog": list(catalog_paths)} if catalog_paths else {}
    try:
        settings = load_settings(**overrides)
    except ValueError as exc:
        raise ConfigError(f"bad settings: {str(exc).splitlines()[0]}") from exc
    definition = Catalog.from_settings(settings).get(report)
    bound = bind_parameters(definition, parse_params(params))
    store = _store(out, settings.resolved_artifacts_url)
    line = _ProgressLine(sys.stderr)
    started = time.perf_counter()
    try:
        result = asyncio.run(
            _run(definition, bound, settings, store, job_id or uuid.uuid4().hex, formats, line)
        )
    finally:
        line.finish()
    _print_result(result, time.perf_counter() - started)


async def _run(
    definition: ReportDefinition,
    bound: dict[str, Any],
    settings: Settings,
    store: ArtifactStore,
    job_id: str,
    formats: tuple[str, ...],
    line: _ProgressLine,
) -> RunResult:
    from reportflow.etl import run_report

    limit = definition.limits.timeout_seconds
    try:
        async with asyncio.timeout(limit):
            return await run_report(
                definition,
                bound,
                settings=settings,
                store=store,
                job_id=job_id,
                formats=[OutputFormat(f) for f in formats] if formats else None,
                progress=line,
            )
    except TimeoutError as exc:
        raise ETLError(f"report {definition.name!r} timed out after {limit:g} s") from exc
