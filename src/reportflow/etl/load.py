"""Load: write the result into ``table`` of a named SQL connection.

Rows go in batch by batch with ``executemany`` inside one transaction, which
commits only after the last batch, so readers of the table see the old rows or
the new ones, never a part. ``replace`` deletes the old rows in the same
transaction (the table keeps its definition, indexes and grants). A missing
table is created from the Arrow schema; where DDL cannot be rolled back
(MySQL/MariaDB commit it implicitly, SQLite outside a transaction) a table the
load created is dropped again when the load fails.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from reportflow.catalog.model import LoadTarget
from reportflow.config import Settings
from reportflow.errors import LoadError
from reportflow.etl.batches import one_line
from reportflow.etl.sources.sql import make_engine


def sql_type(type_: pa.DataType) -> sa.types.TypeEngine[Any]:
    """The column type a new table gets for an Arrow type."""
    if pa.types.is_boolean(type_):
        return sa.Boolean()
    if pa.types.is_integer(type_):
        return sa.BigInteger()
    if pa.types.is_floating(type_):
        return sa.Double()
    if pa.types.is_decimal(type_):
        return sa.Numeric(min(type_.precision, 38), type_.scale)
    if pa.types.is_date(type_):
        return sa.Date()
    if pa.types.is_timestamp(type_):
        return sa.DateTime(timezone=type_.tz is not None)
    if pa.types.is_binary(type_) or pa.types.is_large_binary(type_):
        return sa.LargeBinary()
    return sa.Text()


def _table(target: LoadTarget, schema: pa.Schema) -> sa.Table:
    schema_name, _, name = target.table.rpartition(".")
    columns = [sa.Column(f.name, sql_type(f.type)) for f in schema]
    return sa.Table(name, sa.MetaData(), *columns, schema=schema_name or None)


class TableLoader:
    """A sink that writes batches into the target table in one transaction."""

    def __init__(self, target: LoadTarget, settings: Settings, schema: pa.Schema) -> None:
        self.target = target
        self.rows = 0
        self._label = f"load into {target.connection}.{target.table}"
        url = settings.connection_url(target.connection)
        try:
            self._engine = make_engine(make_url(url))
        except (ArgumentError, sa.exc.SQLAlchemyError, ImportError) as exc:
            raise LoadError(f"{self._label}: not a database URL") from exc
        self._table = _table(target, schema)
        self._created = False
        self._convert = [
            i
            for i, f in enumerate(schema)
            if isinstance(sql_type(f.type), sa.Text)
            and not (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
        ]
        try:
            self._conn = self._engine.connect()
            if not sa.inspect(self._conn).has_table(self._table.name, schema=self._table.schema):
                self._table.create(self._conn)
                self._created = True
            # End the inspection's implicit transaction; the rows get their own,
            # begun by the first statement and committed in close().
            self._conn.commit()
            if target.mode == "replace":
                self._conn.execute(self._table.delete())
        except sa.exc.SQLAlchemyError as exc:
            self._fail()
            raise LoadError(
                f"{self._label}: {one_line(getattr(exc, 'orig', None) or exc)}"
            ) from exc

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        rows = batch.to_pylist()
        if self._convert:
            names = [batch.schema.field(i).name for i in self._convert]
            for row in rows:
                for name in names:
                    if row[name] is not None:
                        row[name] = str(row[name])
        try:
            self._conn.execute(self._table.insert(), rows)
        except sa.exc.SQLAlchemyError as exc:
            raise LoadError(
                f"{self._label}: {one_line(getattr(exc, 'orig', None) or exc)}"
            ) from exc
        self.rows += batch.num_rows

    def close(self) -> None:
        """Commit: the table now holds the new rows."""
        try:
            self._conn.commit()
        except sa.exc.SQLAlchemyError as exc:
            self._fail()
            raise LoadError(
                f"{self._label}: {one_line(getattr(exc, 'orig', None) or exc)}"
            ) from exc
        self._conn.close()
        self._engine.dispose()

    def abort(self) -> None:
        """Roll back, and drop the table when this load created it."""
        self._fail()

    def _fail(self) -> None:
        conn = getattr(self, "_conn", None)
        try:
            if conn is not None:
                conn.rollback()
                if self._created:
                    self._table.drop(conn, checkfirst=True)
                    conn.commit()
                conn.close()
        except sa.exc.SQLAlchemyError:
            pass  # best effort: the load already failed with the error that matters
        finally:
            self._engine.dispose()
