"""Rows into Arrow record batches, with one schema for the whole stream.

Every stage passes ``pyarrow.RecordBatchReader`` objects: a schema plus a lazy
iterator of batches of at most :data:`BATCH_ROWS` rows, so memory stays bounded
by a few batches whatever the row count.

Type rules for rows that arrive as Python values (SQLAlchemy drivers, HTTP
JSON, report functions):

* the schema is inferred from the first batch and kept for the rest; a later
  value that does not fit raises SourceError naming the column;
* ``Decimal`` becomes ``float64``: precision and scale of database decimals
  vary row by row (``NUMERIC`` without scale, ``SUM`` results), which would
  make a fixed ``decimal128`` fail mid-stream, and every output format
  (xlsx, JSON, HTML) shows numbers as doubles anyway;
* a column that is entirely NULL in the first batch becomes ``string``;
* values Arrow does not know (UUIDs, ranges, …) are written as text.
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from reportflow.errors import SourceError

#: Rows per record batch moving through the pipeline.
BATCH_ROWS = 64 * 1024


def reader_from(schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(schema, iter(batches))


def _column(values: Sequence[Any], type_: pa.DataType | None) -> pa.Array:
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, decimal.Decimal):
        values = [None if v is None else float(v) for v in values]
    if type_ is None:
        try:
            arr = pa.array(values, from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            return pa.array([None if v is None else str(v) for v in values], pa.string())
        return arr.cast(pa.string()) if pa.types.is_null(arr.type) else arr
    if pa.types.is_string(type_) and sample is not None and not isinstance(sample, str):
        values = [None if v is None else str(v) for v in values]
    return pa.array(values, type=type_, from_pandas=False)


class RowBatcher:
    """Turns chunks of rows (tuples or dicts) into batches with a stable schema."""

    def __init__(self, names: Sequence[str] | None, *, what: str) -> None:
        self.names = list(names) if names is not None else None
        self.schema: pa.Schema | None = None
        self.what = what

    def from_tuples(self, rows: Sequence[Sequence[Any]]) -> pa.RecordBatch:
        assert self.names is not None
        columns: list[Sequence[Any]] = (
            list(zip(*rows, strict=True)) if rows else [() for _ in self.names]
        )
        return self._build(columns)

    def from_dicts(self, rows: Sequence[Mapping[str, Any]]) -> pa.RecordBatch:
        if self.names is None:
            # Column order: first appearance across the first chunk.
            seen: dict[str, None] = {}
            for row in rows:
                seen.update(dict.fromkeys(row))
            self.names = list(seen)
        columns = [[row.get(name) for row in rows] for name in self.names]
        return self._build(columns)

    def _build(self, columns: Sequence[Sequence[Any]]) -> pa.RecordBatch:
        assert self.names is not None
        arrays: list[pa.Array] = []
        for i, (name, values) in enumerate(zip(self.names, columns, strict=True)):
            type_ = self.schema.field(i).type if self.schema is not None else None
            try:
                arrays.append(_column(values, type_))
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as exc:
                msg = f"{self.what}: column {name!r} does not fit type {type_}: {_first_line(exc)}"
                raise SourceError(msg) from exc
        if self.schema is None:
            self.schema = pa.schema(
                [pa.field(n, a.type) for n, a in zip(self.names, arrays, strict=True)]
            )
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


def chunked(items: Iterable[Any], size: int = BATCH_ROWS) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def peek_reader(batches: Iterator[pa.RecordBatch], empty_schema: pa.Schema) -> pa.RecordBatchReader:
    """A reader whose schema is the first batch's (``empty_schema`` if none)."""
    first = next(batches, None)
    if first is None:
        return reader_from(empty_schema, [])
    return reader_from(first.schema, itertools.chain([first], batches))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def one_line(exc: BaseException) -> str:
    """An exception's message reduced to its first line."""
    return _first_line(exc)
