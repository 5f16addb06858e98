"""Per-batch column steps: ``rename`` and ``format``."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from reportflow.catalog.model import TransformStep
from reportflow.errors import TransformError
from reportflow.etl.control import RunControl


def _columns_option(step: TransformStep) -> dict[str, str]:
    columns = step.options.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise TransformError(f"transform {step.kind!r}: 'columns' must be a non-empty mapping")
    bad = [k for k, v in columns.items() if not isinstance(v, str) or not v]
    if bad:
        raise TransformError(f"transform {step.kind!r}: column {bad[0]!r} needs a text value")
    return {str(k): str(v) for k, v in columns.items()}


def _require(step: TransformStep, schema: pa.Schema, names: list[str]) -> None:
    missing = [n for n in names if n not in schema.names]
    if missing:
        have = ", ".join(schema.names)
        raise TransformError(f"transform {step.kind!r}: no column {missing[0]!r} (columns: {have})")


def rename(
    reader: pa.RecordBatchReader,
    step: TransformStep,
    params: Mapping[str, Any],
    control: RunControl,
) -> pa.RecordBatchReader:
    mapping = _columns_option(step)
    _require(step, reader.schema, list(mapping))
    names = [mapping.get(n, n) for n in reader.schema.names]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise TransformError(f"transform 'rename': two columns would be named {dup!r}")
    schema = pa.schema(
        [f.with_name(n) for f, n in zip(reader.schema, names, strict=True)],
        metadata=reader.schema.metadata,
    )

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


Formatter = Callable[[pa.Array], pa.Array]


def _sample(type_: pa.DataType) -> Any:
    """A value of the column's type, to reject a bad spec before any row runs."""
    if pa.types.is_integer(type_):
        return 1
    if pa.types.is_floating(type_) or pa.types.is_decimal(type_):
        return 1.5
    if pa.types.is_boolean(type_):
        return True
    if pa.types.is_temporal(type_):
        return datetime.time(0) if pa.types.is_time(type_) else datetime.datetime(2000, 1, 1)
    return "x"


def _formatter(column: str, spec: str, type_: pa.DataType) -> Formatter:
    temporal = pa.types.is_temporal(type_)
    if "{" in spec:
        try:
            spec.format(_sample(type_))
        except (ValueError, IndexError, KeyError) as exc:
            raise TransformError(
                f"transform 'format': column {column!r}: bad spec {spec!r}"
            ) from exc

        def fmt(arr: pa.Array) -> pa.Array:
            return pa.array(
                [None if v is None else spec.format(v) for v in arr.to_pylist()], pa.string()
            )

        return fmt
    if "%" in spec:
        if not temporal:
            raise TransformError(
                f"transform 'format': column {column!r} is {type_}, {spec!r} needs a date or time"
            )

        def strftime(arr: pa.Array) -> pa.Array:
            return pc.strftime(arr, format=spec)

        return strftime
    raise TransformError(f"transform 'format': column {column!r}: spec {spec!r} has no {{}} or %")


def format_columns(
    reader: pa.RecordBatchReader,
    step: TransformStep,
    params: Mapping[str, Any],
    control: RunControl,
) -> pa.RecordBatchReader:
    specs = _columns_option(step)
    _require(step, reader.schema, list(specs))
    schema = reader.schema
    fmts = {
        schema.get_field_index(c): _formatter(c, s, schema.field(c).type) for c, s in specs.items()
    }
    out_schema = pa.schema(
        [f.with_type(pa.string()) if i in fmts else f for i, f in enumerate(schema)],
        metadata=schema.metadata,
    )

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            arrays = [fmts[i](col) if i in fmts else col for i, col in enumerate(batch.columns)]
            try:
                yield pa.RecordBatch.from_arrays(arrays, schema=out_schema)
            except pa.ArrowException as exc:
                raise TransformError(f"transform 'format': {exc}") from exc

    def guarded() -> Iterator[pa.RecordBatch]:
        try:
            yield from batches()
        except (ValueError, TypeError) as exc:
            raise TransformError(f"transform 'format': {type(exc).__name__}: {exc}") from exc

    return pa.RecordBatchReader.from_batches(out_schema, guarded())
