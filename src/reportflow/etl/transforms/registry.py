"""The transform registry: ``kind`` → the function that runs a step.

Two kinds of step exist:

* **table transforms** (``register_transform``) get the whole result so far as
  a ``pyarrow.Table`` and return a new Table. They suit steps that need every
  row at once (``smooth``, ``forecast``); the engine gathers the stream into a
  table before calling them, so their memory grows with the data. Contract::

      def step(table: pa.Table, step: TransformStep, params: Mapping[str, Any]) -> pa.Table

  ``step.options`` holds the step's settings from the definition, ``params``
  the bound report parameters. Raise ``TransformError`` with a one-line message
  naming the step and the culprit (a missing column, a bad option); any other
  exception is wrapped into one.

* **stream transforms** (``register_stream_transform``) map a
  ``RecordBatchReader`` to another one lazily and keep memory constant:
  ``sql``, ``rename``, ``format``. They also get the :class:`RunControl`, to
  check for cancellation and register interrupts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from reportflow.catalog.model import TransformStep
from reportflow.errors import ReportflowError, TransformError
from reportflow.etl.batches import BATCH_ROWS, one_line
from reportflow.etl.control import RunCancelled, RunControl

TableTransform = Callable[[pa.Table, TransformStep, Mapping[str, Any]], pa.Table]
StreamTransform = Callable[
    [pa.RecordBatchReader, TransformStep, Mapping[str, Any], RunControl], pa.RecordBatchReader
]


@dataclass(frozen=True, slots=True)
class _Entry:
    table: TableTransform | None = None
    stream: StreamTransform | None = None


_REGISTRY: dict[str, _Entry] = {}


def register_transform(kind: str, fn: TableTransform) -> None:
    """Register a whole-table step under ``kind`` (replaces an earlier one)."""
    _REGISTRY[kind] = _Entry(table=fn)


def register_stream_transform(kind: str, fn: StreamTransform) -> None:
    """Register a streaming step under ``kind`` (replaces an earlier one)."""
    _REGISTRY[kind] = _Entry(stream=fn)


def transform_kinds() -> list[str]:
    return sorted(_REGISTRY)


def apply_transform(
    reader: pa.RecordBatchReader,
    step: TransformStep,
    params: Mapping[str, Any],
    control: RunControl,
) -> pa.RecordBatchReader:
    """Run one step over ``reader``; raises TransformError for unknown kinds."""
    entry = _REGISTRY.get(step.kind)
    if entry is None:
        known = ", ".join(transform_kinds())
        raise TransformError(f"unknown transform kind {step.kind!r} (known: {known})")
    if entry.stream is not None:
        return entry.stream(reader, step, params, control)
    assert entry.table is not None
    table = reader.read_all()
    control.check()
    try:
        out = entry.table(table, step, params)
    except (ReportflowError, RunCancelled):
        raise
    except Exception as exc:
        msg = f"transform {step.kind!r} failed: {type(exc).__name__}: {one_line(exc)}"
        raise TransformError(msg) from exc
    if not isinstance(out, pa.Table):
        kind = type(out).__name__
        raise TransformError(f"transform {step.kind!r} returned {kind}, not a pyarrow Table")
    return pa.RecordBatchReader.from_batches(out.schema, out.to_batches(max_chunksize=BATCH_ROWS))
