"""The renderer contract: one class per output format, fed batch by batch.

A writer is created with the staging path and the stream's schema, gets every
batch through :meth:`Writer.write` (in the run's worker thread), and
:meth:`Writer.close` finishes the file. When the run fails, :meth:`Writer.abort`
releases what it holds; the engine deletes the staging file afterwards.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from reportflow.catalog.model import OutputFormat, ReportDefinition


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a writer may show besides the rows (titles, parameters, chart)."""

    definition: ReportDefinition
    params: Mapping[str, Any]

    @property
    def title(self) -> str:
        return self.definition.title or self.definition.name


class Writer(abc.ABC):
    """Writes one output file from a stream of record batches."""

    format: ClassVar[OutputFormat]
    extension: ClassVar[str]
    content_type: ClassVar[str]

    def __init__(self, path: Path, schema: pa.Schema, context: RenderContext) -> None:
        self.path = path
        self.schema = schema
        self.context = context
        self.rows = 0

    @abc.abstractmethod
    def write(self, batch: pa.RecordBatch) -> None:
        """Append a batch (same schema as given at construction)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Finish the file; after this it is complete on disk."""

    def abort(self) -> None:
        """Release resources after a failure; the file is discarded anyway."""
        # The run already failed; its error is the one to report.
        with contextlib.suppress(Exception):
            self.close()


WRITERS: dict[OutputFormat, type[Writer]] = {}


def register_writer(cls: type[Writer]) -> type[Writer]:
    WRITERS[cls.format] = cls
    return cls
