"""The blocking half of a run: extract → transform → render/load in one thread.

Batches are pulled through the chain of readers and handed to every writer and
the loader in turn (a tee), so each batch is read once whatever the number of
outputs, and at most a few batches are alive at any time. On any failure or
cancellation every writer is aborted, the loader rolls back and the staging
files are deleted before the error leaves this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from reportflow.catalog.model import OutputFormat, ReportDefinition
from reportflow.config import Settings
from reportflow.errors import RenderError, ReportflowError, RowLimitError
from reportflow.etl.batches import one_line
from reportflow.etl.contract import Stage
from reportflow.etl.control import RunCancelled, RunControl
from reportflow.etl.load import TableLoader
from reportflow.etl.render import WRITERS, RenderContext, Writer
from reportflow.etl.sources import open_source
from reportflow.etl.transforms import apply_transform


@dataclass(frozen=True, slots=True)
class Plan:
    definition: ReportDefinition
    params: Mapping[str, Any]
    settings: Settings
    formats: Sequence[OutputFormat]
    staging: Path
    job_id: str


@dataclass(frozen=True, slots=True)
class Staged:
    """A finished output file waiting to be published."""

    format: OutputFormat
    path: Path
    extension: str
    content_type: str
    rows: int


@dataclass(slots=True)
class Outcome:
    rows: int
    staged: list[Staged] = field(default_factory=list)
    loaded_rows: int | None = None


class _Tracker:
    """Turns row counts at both ends of the chain into progress updates."""

    def __init__(self, control: RunControl, out_stage: str, has_transforms: bool) -> None:
        self.control = control
        self.out_stage = out_stage
        self.has_transforms = has_transforms
        self.source_rows = 0
        self.output_started = False

    def watch_source(self, reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
        def batches() -> Iterator[pa.RecordBatch]:
            try:
                for batch in reader:
                    self.control.check()
                    self.source_rows += batch.num_rows
                    if not self.output_started:
                        self.control.report(Stage.EXTRACT, self.source_rows)
                    yield batch
            except BaseException as exc:
                # DuckDB wraps errors of the readers it pulls; keep the original.
                if self.control.source_error is None:
                    self.control.source_error = exc
                raise
            if self.has_transforms and not self.output_started:
                self.control.report(Stage.TRANSFORM, self.source_rows)

        return pa.RecordBatchReader.from_batches(reader.schema, batches())


def _open_writers(plan: Plan, schema: pa.Schema, writers: list[Writer]) -> None:
    """Open a writer per format into ``writers`` (so a failure can abort those
    already opened)."""
    context = RenderContext(plan.definition, plan.params)
    for fmt in plan.formats:
        cls = WRITERS[fmt]
        path = plan.staging / f"{plan.job_id}-{uuid.uuid4().hex[:8]}.{cls.extension}.part"
        try:
            writers.append(cls(path, schema, context))
        except ReportflowError:
            raise
        except Exception as exc:
            raise RenderError(f"render {fmt.value}: {type(exc).__name__}: {one_line(exc)}") from exc


def _render(writer: Writer, batch: pa.RecordBatch | None) -> None:
    try:
        if batch is None:
            writer.close()
        else:
            writer.write(batch)
    except (ReportflowError, RunCancelled):
        raise
    except Exception as exc:
        fmt = writer.format.value
        raise RenderError(f"render {fmt}: {type(exc).__name__}: {one_line(exc)}") from exc


def run_pipeline(plan: Plan, control: RunControl) -> Outcome:
    """Run the whole chain; returns the staged files. Blocks: call in a thread."""
    definition = plan.definition
    out_stage = Stage.RENDER if plan.formats or definition.load is None else Stage.LOAD
    tracker = _Tracker(control, out_stage, bool(definition.transform))
    writers: list[Writer] = []
    loader: TableLoader | None = None
    reader: pa.RecordBatchReader | None = None
    try:
        control.report(Stage.EXTRACT, 0, force=True)
        reader = tracker.watch_source(open_source(definition, plan.params, plan.settings, control))
        for step in definition.transform:
            reader = apply_transform(reader, step, plan.params, control)
        _open_writers(plan, reader.schema, writers)
        if definition.load is not None:
            loader = TableLoader(definition.load, plan.settings, reader.schema)
        rows = _pump(reader, writers, loader, plan, tracker)
        for writer in writers:
            _render(writer, None)
        if loader is not None:
            loader.close()
    except BaseException:
        for writer in writers:
            writer.abort()
            writer.path.unlink(missing_ok=True)
        if loader is not None:
            loader.abort()
        raise
    finally:
        if reader is not None:
            reader.close()
        control.run_deferred()
    staged = [Staged(w.format, w.path, w.extension, w.content_type, w.rows) for w in writers]
    return Outcome(rows, staged, loader.rows if loader is not None else None)


def _pump(
    reader: pa.RecordBatchReader,
    writers: list[Writer],
    loader: TableLoader | None,
    plan: Plan,
    tracker: _Tracker,
) -> int:
    control = tracker.control
    limit = plan.definition.limits.max_rows
    rows = 0
    for batch in reader:
        control.check()
        tracker.output_started = True
        rows += batch.num_rows
        if limit is not None and rows > limit:
            name = plan.definition.name
            raise RowLimitError(
                f"report {name!r} produced more than {limit:,} rows (limits.max_rows)"
            )
        for writer in writers:
            _render(writer, batch)
        if loader is not None:
            loader.write(batch)
        control.report(tracker.out_stage, rows)
    return rows
