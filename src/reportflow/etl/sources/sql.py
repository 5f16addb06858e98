"""SQL database sources through SQLAlchemy with server-side cursors.

``postgresql://`` uses psycopg 3 and ``mysql://`` / ``mariadb://`` use PyMySQL;
``stream_results=True`` makes both keep the result on the server (a named
cursor, an unbuffered ``SSCursor``) and hand rows over batch by batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from reportflow.errors import SourceError
from reportflow.etl.batches import BATCH_ROWS, RowBatcher, one_line, reader_from
from reportflow.etl.control import RunControl
from reportflow.etl.sources.sqlbind import bound_text

CONNECT_TIMEOUT_SECONDS = 10

_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def sync_url(url: URL) -> URL:
    """The URL with reportflow's default blocking driver for its database."""
    driver = _DRIVERS.get(url.drivername)
    return url.set(drivername=driver) if driver else url


def make_engine(url: URL) -> sa.Engine:
    """An engine for one run: no pool, a bounded connect timeout."""
    url = sync_url(url)
    args: dict[str, Any] = {}
    if url.get_backend_name() in {"postgresql", "mysql", "mariadb"}:
        args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return sa.create_engine(url, poolclass=NullPool, connect_args=args)


def describe(name: str, exc: BaseException) -> str:
    """One line for a driver error: the connection and the driver's reason."""
    orig = getattr(exc, "orig", None) or exc
    return f"connection {name!r}: {one_line(orig)}"


def read_sql(
    name: str, url: URL, query: str, params: Mapping[str, Any], control: RunControl
) -> pa.RecordBatchReader:
    try:
        engine = make_engine(url)
        stmt = bound_text(query, params)
    except Exception as exc:
        raise SourceError(describe(name, exc)) from exc
    control.defer(engine.dispose)
    try:
        conn = engine.connect().execution_options(stream_results=True, max_row_buffer=BATCH_ROWS)
        control.defer(conn.close)
        result = conn.execute(stmt)
        control.defer(result.close)
    except Exception as exc:
        raise SourceError(describe(name, exc)) from exc

    names = list(result.keys())
    batcher = RowBatcher(names, what=f"connection {name!r}")

    def batches() -> Iterator[pa.RecordBatch]:
        while True:
            control.check()
            try:
                rows = result.fetchmany(BATCH_ROWS)
            except sa.exc.SQLAlchemyError as exc:
                raise SourceError(describe(name, exc)) from exc
            if not rows:
                # Release the server-side cursor now: a load into the same
                # database must not wait for it.
                result.close()
                return
            yield batcher.from_tuples(rows)

    stream = batches()
    first = next(stream, None)
    if first is None:
        empty = pa.schema([pa.field(k, pa.string()) for k in names])
        return reader_from(empty, [])
    return reader_from(first.schema, _chain(first, stream))


def _chain(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield first
    yield from rest
