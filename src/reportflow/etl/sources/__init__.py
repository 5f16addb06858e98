"""Extract: open a report's source as a stream of Arrow record batches.

The connection URL decides the reader: ``sqlite:///`` (ADBC), other SQLAlchemy
URLs (``postgresql://``, ``mysql://``, ``mariadb://``), ``http(s)://`` (JSON),
and ``file://`` or a plain path / glob (CSV, Parquet). A report with a
``function`` and no source calls the function instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from reportflow.catalog.model import ReportDefinition
from reportflow.config import Settings
from reportflow.errors import SourceError
from reportflow.etl.control import RunControl
from reportflow.etl.sources.files import is_file_url, read_files
from reportflow.etl.sources.function import read_function
from reportflow.etl.sources.http import read_http
from reportflow.etl.sources.sql import read_sql
from reportflow.etl.sources.sqlite import read_sqlite

__all__ = ["open_source"]


def open_source(
    definition: ReportDefinition,
    params: Mapping[str, Any],
    settings: Settings,
    control: RunControl,
) -> pa.RecordBatchReader:
    """The report's rows as a reader (runs in the worker thread; may block)."""
    source = definition.source
    if source is None:
        if definition.function is None:
            raise SourceError(f"report {definition.name!r} has neither a source nor a function")
        return read_function(definition.name, definition.function, params, control)
    name = source.connection
    url = settings.connection_url(name)
    if url.startswith(("http://", "https://")):
        return read_http(name, url, source.query, source.records, params, control)
    if is_file_url(url):
        return read_files(name, url, source.query, control)
    if not source.query:
        raise SourceError(f"report {definition.name!r}: SQL connection {name!r} needs a query")
    try:
        sa_url = make_url(url)
    except ArgumentError as exc:
        raise SourceError(f"connection {name!r}: not a database URL") from exc
    if sa_url.drivername == "sqlite":
        return read_sqlite(name, sa_url, source.query, params, control)
    return read_sql(name, sa_url, source.query, params, control)
