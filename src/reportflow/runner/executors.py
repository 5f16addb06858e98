"""Executors: what a runner slot does with a claimed job.

:class:`ReportExecutor` is the real one (catalog → parameters → ETL).
:class:`NoopExecutor` and :class:`SleepExecutor` skip the ETL: they measure
the pool and the queue alone (benchmarks, queue throughput tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from reportflow.artifacts.base import ArtifactStore
from reportflow.catalog import Catalog, OutputFormat, ReportDefinition, bind_parameters
from reportflow.config import Settings
from reportflow.errors import ParameterError
from reportflow.queue.base import Job
from reportflow.runner.context import JobContext

if TYPE_CHECKING:
    # Annotations only: the ETL stack loads on the first real report.
    from reportflow.etl.contract import ProgressCallback, RunResult


class RunReport(Protocol):
    """The ETL entry point (``reportflow.etl.run_report``)."""

    async def __call__(
        self,
        definition: ReportDefinition,
        params: dict[str, Any],
        *,
        settings: Settings,
        store: ArtifactStore,
        job_id: str,
        formats: Sequence[OutputFormat] | None,
        progress: ProgressCallback | None,
    ) -> RunResult: ...


def _etl_run_report() -> RunReport:
    # Imported on first use: the ETL pulls in DuckDB and Arrow, which a runner
    # process built around another executor never needs.
    from reportflow.etl import run_report

    return run_report


class ReportExecutor:
    """Runs a job's report: look it up, bind its parameters, run the ETL.

    The report's own ``limits.timeout_seconds`` becomes the attempt's time
    limit. ``job.meta["formats"]`` (a list of format names) narrows the
    outputs; by default the definition's formats are rendered. The result is
    ``{"rows", "artifacts": [Artifact.to_dict()...], "loaded_rows"}``.
    """

    def __init__(
        self,
        catalog: Catalog,
        settings: Settings,
        store: ArtifactStore,
        *,
        run_report: RunReport | None = None,
    ) -> None:
        self.catalog = catalog
        self.settings = settings
        self.store = store
        self._run_report = run_report

    async def warm_up(self) -> None:
        """Import the ETL in a thread now, rather than on the event loop at the
        first report (about a second of Arrow and DuckDB imports, during which
        nothing else in the process would run)."""
        if self._run_report is None:
            self._run_report = await asyncio.to_thread(_etl_run_report)

    async def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        definition = self.catalog.get(job.report)
        ctx.set_timeout(definition.limits.timeout_seconds)
        params = bind_parameters(definition, job.params)
        formats = requested_formats(definition, job.meta.get("formats"))
        if self._run_report is None:
            self._run_report = _etl_run_report()
        result = await self._run_report(
            definition,
            params,
            settings=self.settings,
            store=self.store,
            job_id=job.id,
            formats=formats,
            progress=ctx.on_progress,
        )
        return {
            "rows": result.rows,
            "artifacts": [artifact.to_dict() for artifact in result.artifacts],
            "loaded_rows": result.loaded_rows,
        }


async def warm_up(executor: object) -> None:
    """Let an executor that can prepare itself do so (see :meth:`ReportExecutor.warm_up`)."""
    if isinstance(executor, ReportExecutor):
        await executor.warm_up()


def requested_formats(definition: ReportDefinition, raw: Any) -> list[OutputFormat] | None:
    """The formats a job asks for, or None for the definition's own.

    Raises ParameterError (field ``formats``) for unknown names or a format
    the report does not offer.
    """
    if raw is None:
        return None
    if isinstance(raw, str) or not isinstance(raw, list):
        raise ParameterError(definition.name, {"formats": f"expected a list, got {raw!r}"})
    known = {f.value for f in OutputFormat}
    unknown = [name for name in raw if name not in known]
    if unknown:
        detail = f"unknown format {unknown[0]!r} (known: {', '.join(sorted(known))})"
        raise ParameterError(definition.name, {"formats": detail})
    formats = [OutputFormat(name) for name in raw]
    offered = set(definition.formats)
    missing = [f.value for f in formats if f not in offered]
    if missing:
        have = ", ".join(f.value for f in definition.formats)
        detail = f"report does not offer {missing[0]!r} (offers: {have})"
        raise ParameterError(definition.name, {"formats": detail})
    return formats


class NoopExecutor:
    """Returns at once: measures claim/ack overhead and queue throughput."""

    async def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        return {"rows": 0, "artifacts": []}


class SleepExecutor:
    """Awaits ``job.params["seconds"]`` (default ``seconds``): an I/O-bound report
    without the ETL, for benchmarks and process-level tests."""

    def __init__(self, seconds: float = 1.0) -> None:
        self.seconds = seconds

    async def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        seconds = float(job.params.get("seconds", self.seconds))
        await asyncio.sleep(seconds)
        return {"rows": 1, "artifacts": []}
