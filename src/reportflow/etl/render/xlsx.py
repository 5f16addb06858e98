"""XLSX writer: xlsxwriter in ``constant_memory`` mode, one row at a time.

``constant_memory`` flushes each row to a temporary file as soon as the next
one starts, so memory stays flat however many rows there are; the price is
that rows must be written in order, which a stream does anyway. Cells get real
Excel types (numbers, dates, datetimes, booleans); text is always written as a
string, never parsed as a formula or URL, so data cannot inject formulas. A
sheet holds at most 1,048,576 rows; beyond that the writer continues on a new
sheet with the header repeated.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import xlsxwriter

from reportflow.catalog.model import OutputFormat
from reportflow.etl.render.base import RenderContext, Writer, register_writer

#: Excel's row limit, including the header row.
EXCEL_MAX_ROWS = 1_048_576
MAX_COLUMN_WIDTH = 60
_WIDTH_SAMPLE_ROWS = 1000

CellWriter = Callable[[int, int, Any], Any]


def _sheet_base(name: str) -> str:
    # Excel sheet names: at most 31 characters, none of []:*?/\
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in name)
    return cleaned[:25] or "Report"


@register_writer
class XlsxWriter(Writer):
    format = OutputFormat.XLSX
    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def __init__(
        self,
        path: Path,
        schema: pa.Schema,
        context: RenderContext,
        *,
        max_rows_per_sheet: int = EXCEL_MAX_ROWS,
    ) -> None:
        super().__init__(path, schema, context)
        self._book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "remove_timezone": True,
                "nan_inf_to_errors": True,
                "default_date_format": "yyyy-mm-dd",
            },
        )
        self._header = self._book.add_format({"bold": True})
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._datetime = self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self._per_sheet = max_rows_per_sheet - 1  # minus the header row
        self._base = _sheet_base(context.definition.name)
        self._sheet: Any = None
        self._sheets = 0
        self._row = 0
        self._widths = [len(name) for name in schema.names]
        self._cells = [self._cell_writer(f.type) for f in schema]

    def _cell_writer(self, type_: pa.DataType) -> str:
        if pa.types.is_boolean(type_):
            return "bool"
        if pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_decimal(type_):
            return "number"
        if pa.types.is_date(type_):
            return "date"
        if pa.types.is_timestamp(type_):
            return "datetime"
        return "string"

    def _new_sheet(self) -> None:
        self._sheets += 1
        name = self._base if self._sheets == 1 else f"{self._base} ({self._sheets})"
        self._sheet = self._book.add_worksheet(name)
        for col, title in enumerate(self.schema.names):
            self._sheet.write_string(0, col, title, self._header)
        self._sheet.freeze_panes(1, 0)
        self._row = 0

    def write(self, batch: pa.RecordBatch) -> None:
        if self._sheet is None:
            self._new_sheet()
        columns = [col.to_pylist() for col in batch.columns]
        if self.rows < _WIDTH_SAMPLE_ROWS:
            self._sample_widths(columns)
        ops = self._bound_ops()
        for values in zip(*columns, strict=True):
            if self._row >= self._per_sheet:
                self._finish_sheet()
                self._new_sheet()
                ops = self._bound_ops()
            self._row += 1
            row = self._row
            for col, value in enumerate(values):
                if value is not None:
                    ops[col](row, col, value)
        self.rows += batch.num_rows

    def _bound_ops(self) -> list[CellWriter]:
        sheet = self._sheet
        date_fmt, dt_fmt = self._date, self._datetime

        def number(r: int, c: int, v: Any) -> Any:
            return sheet.write_number(r, c, float(v))

        def text(r: int, c: int, v: Any) -> Any:
            return sheet.write_string(r, c, v if isinstance(v, str) else str(v))

        def date(r: int, c: int, v: datetime.date) -> Any:
            return sheet.write_datetime(r, c, v, date_fmt)

        def stamp(r: int, c: int, v: datetime.datetime) -> Any:
            return sheet.write_datetime(r, c, v, dt_fmt)

        table: dict[str, CellWriter] = {
            "bool": sheet.write_boolean,
            "number": number,
            "date": date,
            "datetime": stamp,
            "string": text,
        }
        return [table[kind] for kind in self._cells]

    def _sample_widths(self, columns: list[list[Any]]) -> None:
        for i, values in enumerate(columns):
            longest = max(
                (len(str(v)) for v in values[:_WIDTH_SAMPLE_ROWS] if v is not None), default=0
            )
            if self._cells[i] == "datetime":
                longest = max(longest, 19)
            self._widths[i] = min(MAX_COLUMN_WIDTH, max(self._widths[i], longest))

    def _finish_sheet(self) -> None:
        for col, width in enumerate(self._widths):
            self._sheet.set_column(col, col, width + 2)

    def close(self) -> None:
        if self._sheet is None:
            self._new_sheet()
        self._finish_sheet()
        self._book.close()
