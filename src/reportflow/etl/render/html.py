"""HTML writer: one self-contained page with the title, the parameters, the
first :data:`MAX_HTML_ROWS` rows as a table and, when the report has a chart,
an inline SVG line chart. No external assets; Jinja2 autoescapes every value.
Only the shown rows and the chart points are kept in memory.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import jinja2
import pyarrow as pa

from reportflow.catalog.model import OutputFormat
from reportflow.errors import RenderError
from reportflow.etl.render.base import RenderContext, Writer, register_writer
from reportflow.etl.render.chart import MAX_POINTS, ChartCollector

MAX_HTML_ROWS = 10_000

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("reportflow.etl.render", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _cell(value: Any) -> tuple[str, bool]:
    if value is None:
        return "", False
    if isinstance(value, bool):
        return str(value).lower(), False
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.6g}", True
    if isinstance(value, int):
        return str(value), True
    return str(value), False


def _param_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


@register_writer
class HtmlWriter(Writer):
    format = OutputFormat.HTML
    extension = "html"
    content_type = "text/html; charset=utf-8"

    def __init__(self, path: Path, schema: pa.Schema, context: RenderContext) -> None:
        super().__init__(path, schema, context)
        self._rows: list[list[tuple[str, bool]]] = []
        spec = context.definition.chart
        self._chart = ChartCollector(spec) if spec else None
        if self._chart is not None:
            missing = [c for c in self._chart.columns() if c not in schema.names]
            if missing:
                have = ", ".join(schema.names)
                raise RenderError(f"html chart: no column {missing[0]!r} (columns: {have})")

    def write(self, batch: pa.RecordBatch) -> None:
        room = MAX_HTML_ROWS - len(self._rows)
        if room > 0:
            head = batch.slice(0, room)
            for row in zip(*(c.to_pylist() for c in head.columns), strict=True):
                self._rows.append([_cell(v) for v in row])
        if self._chart is not None:
            self._chart.add(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        ctx = self.context
        chart_title = (ctx.definition.chart.title if ctx.definition.chart else None) or ctx.title
        page = _ENV.get_template("report.html.j2").render(
            title=ctx.title,
            description=ctx.definition.description,
            generated=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            params=[(k, _param_text(v)) for k, v in ctx.params.items()],
            chart=self._chart.view(chart_title) if self._chart else None,
            max_points=MAX_POINTS,
            columns=self.schema.names,
            rows=self._rows,
            shown=len(self._rows),
            total_rows=self.rows,
            truncated=self.rows > len(self._rows),
        )
        self.path.write_text(page, encoding="utf-8")
