"""The ``sql`` step: DuckDB SQL over the stream so far, registered as ``input``.

Options: ``sql`` (or ``query``), the statement. Report parameters are bound as
DuckDB named parameters ``$name``; only the ones the statement mentions are
passed (DuckDB rejects extra ones). DuckDB pulls the input reader itself and
its result is streamed out batch by batch, so a filter or projection runs in
constant memory; an aggregation holds only its groups. A statement that reads
``input`` more than once (a self-join, two CTEs over it) gets a materialized
copy instead, since a stream can be read only once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import duckdb
import pyarrow as pa

from reportflow.catalog.model import TransformStep
from reportflow.errors import TransformError
from reportflow.etl.batches import BATCH_ROWS, one_line
from reportflow.etl.control import RunControl

#: DuckDB's memory limit while it holds a materialized input (it spills beyond).
MATERIALIZE_MEMORY = "512MB"

# `$name` outside quotes; a quoted '$x' is rare in report SQL and harmless to
# over-match because only declared parameters are bound.
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def referenced_params(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The report parameters ``sql`` uses as ``$name``."""
    return {name: params[name] for name in _PARAM.findall(sql) if name in params}


def _scans(
    con: duckdb.DuckDBPyConnection, schema: pa.Schema, sql: str, bound: dict[str, Any] | None
) -> int:
    """How often the plan reads ``input`` (against an empty stand-in)."""
    con.register("input", pa.RecordBatchReader.from_batches(schema, []))
    try:
        plan = con.sql(f"EXPLAIN {sql}", params=bound)
        text = "".join(str(row[1]) for row in plan.fetchall()) if plan is not None else ""
    finally:
        con.unregister("input")
    return text.count("ARROW_SCAN")


def _materialize(
    con: duckdb.DuckDBPyConnection, reader: pa.RecordBatchReader, control: RunControl
) -> None:
    """Copy the stream into a DuckDB table, for statements that read ``input``
    more than once (a stream can be read only once). DuckDB keeps the table in
    its own compressed format and spills to a temporary directory past its
    memory limit, so this stays bounded too, at the price of a copy."""
    con.execute(f"SET memory_limit = '{MATERIALIZE_MEMORY}'")
    con.register("input_stream", reader)
    con.execute("CREATE TEMP TABLE input AS SELECT * FROM input_stream")
    con.unregister("input_stream")
    control.check()


def _statement(step: TransformStep) -> str:
    options = step.options
    sql = options.get("sql", options.get("query"))
    if not isinstance(sql, str) or not sql.strip():
        raise TransformError("transform 'sql': option 'sql' must hold a SQL statement")
    return sql


def sql_transform(
    reader: pa.RecordBatchReader,
    step: TransformStep,
    params: Mapping[str, Any],
    control: RunControl,
) -> pa.RecordBatchReader:
    sql = _statement(step)
    con = duckdb.connect()
    unregister = control.add_interrupt(con.interrupt)
    bound = referenced_params(sql, params) or None
    try:
        if _scans(con, reader.schema, sql, bound) > 1:
            _materialize(con, reader, control)
        else:
            con.register("input", reader)
        relation = con.sql(sql, params=bound)
        if relation is None:
            raise TransformError("transform 'sql': the statement returns no rows (use a SELECT)")
        result = relation.to_arrow_reader(BATCH_ROWS)
    except duckdb.Error as exc:
        unregister()
        con.close()
        control.raise_source_error()
        control.check()
        raise TransformError(f"transform 'sql': {one_line(exc)}") from exc

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            while True:
                try:
                    batch = result.read_next_batch()
                except StopIteration:
                    return
                except (pa.ArrowException, duckdb.Error) as exc:
                    control.raise_source_error()
                    control.check()
                    raise TransformError(f"transform 'sql': {one_line(exc)}") from exc
                yield batch
        finally:
            unregister()
            con.close()

    return pa.RecordBatchReader.from_batches(result.schema, batches())
