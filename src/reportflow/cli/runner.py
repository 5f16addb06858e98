"""``reportflow runner``, ``submit``, ``jobs show|cancel`` and ``queue stats``."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from reportflow.cli.catalog_path import apply_catalog
from reportflow.config import Settings, load_settings
from reportflow.errors import JobNotFoundError
from reportflow.logs import setup_logging
from reportflow.queue import Queue, connect

T = TypeVar("T")


def _settings(
    queue_url: str | None = None,
    concurrency: int | None = None,
    catalog: Sequence[Path] = (),
    artifacts: str | None = None,
) -> Settings:
    settings = load_settings()
    if queue_url:
        settings.queue_url = queue_url
    if catalog:
        settings.catalog = list(catalog)
    if artifacts:
        settings.artifacts_url = artifacts
    if concurrency is not None:
        settings.runner = settings.runner.model_copy(update={"concurrency": concurrency})
    return settings


def _with_queue(settings: Settings, action: Callable[[Queue], Awaitable[T]]) -> T:
    async def main() -> T:
        async with connect(settings.resolved_queue_url) as queue:
            return await action(queue)

    return asyncio.run(main())


def _serve(
    settings: Settings,
    executor_spec: str | None,
    hooks_specs: Sequence[str],
    scaling: dict[str, Any] | None = None,
) -> None:
    from reportflow.runner.service import load_factory, report_executor, serve

    # Plug-ins first, so a wrong --executor/--hooks fails before logging is set up.
    executor_factory = load_factory(executor_spec, "--executor") if executor_spec else None
    hooks = [load_factory(spec, "--hooks")(settings) for spec in hooks_specs]
    setup_logging(settings.log_level, settings.log_format)
    executor = executor_factory(settings) if executor_factory else report_executor(settings)
    if scaling:
        # The scale hook's HTTP port and/or the autoscaler (reportflow.runner.autoscale).
        from reportflow.runner.autoscale import serve_scaled

        asyncio.run(serve_scaled(settings, executor, hooks=hooks, **scaling))
        return
    asyncio.run(serve(settings, executor, hooks=hooks))


_queue_url = click.option("--queue-url", help="Queue URL; default: settings (embedded SQLite).")


@click.command()
@_queue_url
@click.option("--concurrency", type=click.IntRange(min=0), help="Slots (reports at once).")
@click.option(
    "--catalog",
    "catalog",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Report definition directory or file (repeatable).",
)
@click.option("--artifacts", help="Artifact store (directory or URL).")
@click.option("--executor", "executor_spec", help="module:factory(settings) -> Executor.")
@click.option("--hooks", "hooks_specs", multiple=True, help="module:factory(settings) -> hooks.")
@click.option(
    "--http-port",
    type=click.IntRange(0, 65535),
    help="Serve POST /hooks/scale, /healthz and /metrics on this port.",
)
@click.option("--http-host", default="127.0.0.1", show_default=True, help="For --http-port.")
@click.option("--autoscale", is_flag=True, help="Size the pool from the queue's load.")
def runner(
    queue_url: str | None,
    concurrency: int | None,
    catalog: tuple[Path, ...],
    artifacts: str | None,
    executor_spec: str | None,
    hooks_specs: tuple[str, ...],
    http_port: int | None,
    http_host: str,
    autoscale: bool,
) -> None:
    """Run a report runner until SIGTERM/SIGINT (a second signal stops at once)."""
    settings = _settings(queue_url, concurrency, catalog, artifacts)
    settings.home.mkdir(parents=True, exist_ok=True)
    note = apply_catalog(settings)
    if note:
        click.echo(note, err=True)
    scaling = {"http_port": http_port, "http_host": http_host, "autoscale": autoscale}
    wanted = http_port is not None or autoscale
    _serve(settings, executor_spec, hooks_specs, scaling if wanted else None)


def _parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="-p")
        params[name] = value
    return params


@click.command()
@click.argument("report")
@click.option("-p", "--param", "pairs", multiple=True, help="NAME=VALUE (repeatable).")
@click.option("--priority", type=int, default=0, show_default=True)
@click.option("--max-attempts", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--no-check", is_flag=True, help="Enqueue without checking against the catalog.")
@_queue_url
def submit(
    report: str,
    pairs: tuple[str, ...],
    priority: int,
    max_attempts: int,
    no_check: bool,
    queue_url: str | None,
) -> None:
    """Put a report request on the queue and print its job id."""
    settings = _settings(queue_url)
    params = _parse_params(pairs)
    if not no_check:
        from reportflow.catalog import Catalog, bind_parameters

        bind_parameters(Catalog.from_settings(settings).get(report), params)
    settings.home.mkdir(parents=True, exist_ok=True)
    job = _with_queue(
        settings,
        lambda q: q.enqueue(report, params, priority=priority, max_attempts=max_attempts),
    )
    click.echo(job.id)


@click.group()
def jobs() -> None:
    """Inspect jobs on the queue."""


@jobs.command("show")
@click.argument("job_id")
@_queue_url
def jobs_show(job_id: str, queue_url: str | None) -> None:
    """Print a job as JSON."""
    job = _with_queue(_settings(queue_url), lambda q: q.get(job_id))
    if job is None:
        raise JobNotFoundError(f"no job with id {job_id!r}")
    click.echo(json.dumps(dataclasses.asdict(job), indent=2, default=str))


@jobs.command("cancel")
@click.argument("job_id")
@_queue_url
def jobs_cancel(job_id: str, queue_url: str | None) -> None:
    """Cancel a job (a running one stops at its runner's next heartbeat)."""
    job = _with_queue(_settings(queue_url), lambda q: q.cancel(job_id))
    click.echo(f"{job.id} {job.state.value}{' (cancel requested)' if job.cancel_requested else ''}")


@click.group("queue")
def queue_group() -> None:
    """Inspect the queue."""


@queue_group.command("stats")
@click.option("--name", default="default", show_default=True, help="Queue name.")
@_queue_url
def queue_stats(name: str, queue_url: str | None) -> None:
    """Jobs per state and the oldest wait."""
    stats = _with_queue(_settings(queue_url), lambda q: q.stats(name))
    for state, count in stats.depth.items():
        click.echo(f"{state.value:<10} {count}")
    click.echo(f"oldest wait {stats.oldest_wait_seconds:.1f}s (at {time.strftime('%H:%M:%S')})")
