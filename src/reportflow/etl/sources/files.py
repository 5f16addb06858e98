"""File sources: CSV and Parquet files named by a glob, streamed with pyarrow.dataset.

The connection is ``file:///data/*.csv``, a plain path or glob, or a directory
whose files ``source.query`` picks with a relative glob. The format comes from
the extension (``.csv``, ``.csv.gz``, ``.tsv``, ``.parquet``, ``.pq``); all
matched files must share it. Files are read in name order, one fragment at a
time, and progress is the share of bytes already read.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds

from reportflow.errors import SourceError
from reportflow.etl.batches import BATCH_ROWS, one_line, reader_from
from reportflow.etl.control import RunControl

_FORMATS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def is_file_url(url: str) -> bool:
    return url.startswith("file://") or "://" not in url


def _pattern(url: str, query: str | None) -> str:
    base = unquote(urlsplit(url).path) if url.startswith("file://") else url
    base = os.path.expanduser(base)
    if query:
        return os.path.join(base, query)
    return os.path.join(base, "*") if os.path.isdir(base) else base


def _format_of(path: str) -> str | None:
    lower = path.lower()
    return next((fmt for ext, fmt in _FORMATS.items() if lower.endswith(ext)), None)


def _file_format(name: str, files: list[str]) -> ds.FileFormat:
    kinds = {_format_of(f) for f in files}
    if None in kinds:
        bad = next(f for f in files if _format_of(f) is None)
        known = ", ".join(_FORMATS)
        raise SourceError(f"connection {name!r}: unsupported file type {bad} (known: {known})")
    if len(kinds) > 1:
        raise SourceError(
            f"connection {name!r}: files mix formats {sorted(k or '' for k in kinds)}"
        )
    kind = kinds.pop()
    if kind == "parquet":
        return ds.ParquetFileFormat()
    delimiter = "\t" if kind == "tsv" else ","
    return ds.CsvFileFormat(
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        read_options=pacsv.ReadOptions(block_size=8 * 1024 * 1024),
    )


def read_files(name: str, url: str, query: str | None, control: RunControl) -> pa.RecordBatchReader:
    pattern = _pattern(url, query)
    files = sorted(f for f in glob.glob(pattern) if os.path.isfile(f))
    if not files:
        raise SourceError(f"connection {name!r}: no file matches {pattern}")
    try:
        dataset = ds.dataset(files, format=_file_format(name, files))
        schema = dataset.schema
    except (pa.ArrowException, OSError) as exc:
        raise SourceError(f"connection {name!r}: cannot read {pattern}: {one_line(exc)}") from exc
    sizes = [Path(f).stat().st_size for f in files]
    total = sum(sizes) or 1

    def batches() -> Iterator[pa.RecordBatch]:
        done = 0
        for fragment, size in zip(dataset.get_fragments(), sizes, strict=True):
            try:
                for batch in fragment.to_batches(schema=schema, batch_size=BATCH_ROWS):
                    control.check()
                    yield batch
            except (pa.ArrowException, OSError) as exc:
                path = fragment.path
                raise SourceError(
                    f"connection {name!r}: cannot read {path}: {one_line(exc)}"
                ) from exc
            done += size
            control.percent = 100.0 * done / total

    return reader_from(schema, batches())
