"""Helpers shared by the ETL unit tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reportflow.artifacts import LocalArtifactStore
from reportflow.catalog.model import ReportDefinition
from reportflow.config import Settings
from reportflow.etl import Progress, RunResult, run_report

GL_ROWS = 1000


class Recorder:
    """A progress callback that keeps every update."""

    def __init__(self) -> None:
        self.updates: list[Progress] = []

    async def __call__(self, progress: Progress) -> None:
        self.updates.append(progress)

    @property
    def stages(self) -> list[str]:
        return [u.stage for u in self.updates]


async def run(
    definition: ReportDefinition,
    settings: Settings,
    store: LocalArtifactStore,
    params: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> RunResult:
    return await run_report(
        definition, params or {}, settings=settings, store=store, job_id="job1", **kwargs
    )


def leftovers(store: LocalArtifactStore) -> list[Path]:
    """Every file under the store root (staging included)."""
    if not store.root.exists():
        return []
    return sorted(p for p in store.root.rglob("*") if p.is_file())
