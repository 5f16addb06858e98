"""What the runner and the CLI need from the ETL engine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from reportflow.artifacts.base import Artifact


class Stage:
    """Names of the ETL stages, as reported in progress."""

    EXTRACT = "extract"
    TRANSFORM = "transform"
    RENDER = "render"
    LOAD = "load"
    DONE = "done"


@dataclass(slots=True, frozen=True)
class Progress:
    """How far a run is: the stage, rows so far, and percent when known."""

    stage: str
    rows: int = 0
    percent: float | None = None


ProgressCallback = Callable[[Progress], Awaitable[None]]


@dataclass(slots=True)
class RunResult:
    """What a finished run produced."""

    rows: int
    artifacts: list[Artifact] = field(default_factory=list)
    loaded_rows: int | None = None
    """Rows written to the ``load`` target, when the report has one."""
