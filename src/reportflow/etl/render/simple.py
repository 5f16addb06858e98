"""CSV, Parquet and JSON-lines writers: thin layers over pyarrow and json."""

from __future__ import annotations

import datetime
import decimal
import json
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from reportflow.catalog.model import OutputFormat
from reportflow.etl.render.base import RenderContext, Writer, register_writer


@register_writer
class CsvWriter(Writer):
    format = OutputFormat.CSV
    extension = "csv"
    content_type = "text/csv; charset=utf-8"

    def __init__(self, path: Path, schema: pa.Schema, context: RenderContext) -> None:
        super().__init__(path, schema, context)
        self._writer = pacsv.CSVWriter(str(path), schema)

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        self._writer.close()


@register_writer
class ParquetWriter(Writer):
    format = OutputFormat.PARQUET
    extension = "parquet"
    content_type = "application/vnd.apache.parquet"

    def __init__(self, path: Path, schema: pa.Schema, context: RenderContext) -> None:
        super().__init__(path, schema, context)
        self._writer = pq.ParquetWriter(str(path), schema, compression="zstd")

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        self._writer.close()


def json_default(value: Any) -> Any:
    """JSON for the values Arrow hands back that json does not know."""
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


@register_writer
class JsonLinesWriter(Writer):
    format = OutputFormat.JSON
    extension = "jsonl"
    content_type = "application/x-ndjson"

    def __init__(self, path: Path, schema: pa.Schema, context: RenderContext) -> None:
        super().__init__(path, schema, context)
        self._fh: IO[str] = path.open("w", encoding="utf-8", newline="\n")
        self._encoder = json.JSONEncoder(default=json_default, ensure_ascii=False)

    def write(self, batch: pa.RecordBatch) -> None:
        encode = self._encoder.encode
        self._fh.write("".join(encode(row) + "\n" for row in batch.to_pylist()))
        self.rows += batch.num_rows

    def close(self) -> None:
        self._fh.close()
