"""Renderers: every format read back with an independent reader."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from etl_helpers import run

from reportflow.artifacts import LocalArtifactStore
from reportflow.catalog.model import ChartSpec, OutputFormat, ReportDefinition
from reportflow.config import Settings
from reportflow.errors import RenderError
from reportflow.etl.render import RenderContext
from reportflow.etl.render.html import MAX_HTML_ROWS
from reportflow.etl.render.xlsx import XlsxWriter

ALL = list(OutputFormat)


def _table(n: int = 50) -> pa.Table:
    start = datetime.date(2024, 1, 1)
    return pa.table(
        {
            "day": [start + datetime.timedelta(days=i) for i in range(n)],
            "at": [
                datetime.datetime(2024, 1, 1, 8) + datetime.timedelta(hours=i) for i in range(n)
            ],
            "machine": [f"M{i % 2}" for i in range(n)],
            "value": [i * 1.25 for i in range(n)],
            "count": list(range(n)),
            "ok": [i % 3 == 0 for i in range(n)],
            "note": [None if i % 4 else f"<b>&{i}</b>" for i in range(n)],
        }
    )


def _definition(n: int = 50, chart: ChartSpec | None = None) -> ReportDefinition:
    return ReportDefinition(
        name="out", title="Machine <values>", function=lambda: _table(n), formats=ALL, chart=chart
    )


async def test_every_format_in_one_pass(store: LocalArtifactStore) -> None:
    result = await run(_definition(), Settings(), store, {"plant": "north & south"})

    assert [a.format for a in result.artifacts] == ["csv", "xlsx", "parquet", "json", "html"]
    assert {a.rows for a in result.artifacts} == {50}
    expected = _table()

    csv = pacsv.read_csv(store.path_of("job1/out.csv"))
    assert csv.column("value").to_pylist() == expected.column("value").to_pylist()
    assert csv.column("day").to_pylist() == expected.column("day").to_pylist()

    parquet = pq.read_table(store.path_of("job1/out.parquet"))
    assert parquet.equals(expected)

    lines = store.path_of("job1/out.jsonl").read_text().splitlines()
    assert len(lines) == 50
    first = json.loads(lines[0])
    assert first == {
        "day": "2024-01-01",
        "at": "2024-01-01T08:00:00",
        "machine": "M0",
        "value": 0.0,
        "count": 0,
        "ok": True,
        "note": "<b>&0</b>",
    }


async def test_xlsx_has_typed_cells_bold_header_and_widths(store: LocalArtifactStore) -> None:
    await run(_definition(), Settings(), store)
    book = openpyxl.load_workbook(store.path_of("job1/out.xlsx"))
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header == ["day", "at", "machine", "value", "count", "ok", "note"]
    assert all(c.font.bold for c in sheet[1])
    row = [c.value for c in sheet[2]]
    assert row[0] == datetime.datetime(2024, 1, 1)  # a real date cell
    assert sheet.cell(2, 1).is_date
    assert row[1] == datetime.datetime(2024, 1, 1, 8)
    assert row[3] == 0.0
    assert isinstance(sheet.cell(3, 4).value, float)
    assert row[5] is True
    assert row[6] == "<b>&0</b>"
    assert sheet.cell(3, 7).value is None  # nulls stay empty
    assert sheet.max_row == 51
    assert sheet.column_dimensions["B"].width >= 19


async def test_xlsx_text_is_never_a_formula(store: LocalArtifactStore) -> None:
    definition = ReportDefinition(
        name="out",
        function=lambda: [{"cell": '=HYPERLINK("http://x")'}, {"cell": "+1"}],
        formats=[OutputFormat.XLSX],
    )
    await run(definition, Settings(), store)
    sheet = openpyxl.load_workbook(store.path_of("job1/out.xlsx")).active
    assert sheet is not None
    assert sheet.cell(2, 1).data_type == "s"
    assert sheet.cell(2, 1).value == '=HYPERLINK("http://x")'


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(tmp_path: Path) -> None:
    table = pa.table({"n": list(range(25))})
    path = tmp_path / "split.xlsx"
    context = RenderContext(ReportDefinition(name="split"), {})
    writer = XlsxWriter(path, table.schema, context, max_rows_per_sheet=11)
    for batch in table.to_batches(max_chunksize=7):
        writer.write(batch)
    writer.close()

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["split", "split (2)", "split (3)"]
    values = []
    for sheet in book.worksheets:
        rows = list(sheet.values)
        assert rows[0] == ("n",)
        assert len(rows) <= 11
        values += [r[0] for r in rows[1:]]
    assert values == list(range(25))


async def test_html_has_title_params_escaped_table_and_chart(store: LocalArtifactStore) -> None:
    chart = ChartSpec(x="day", y=["value"], group="machine", title="Values")
    await run(_definition(chart=chart), Settings(), store, {"plant": "north & south"})
    page = store.path_of("job1/out.html").read_text()
    assert "<title>Machine &lt;values&gt;</title>" in page
    assert "north &amp; south" in page
    assert "&lt;b&gt;&amp;0&lt;/b&gt;" in page
    assert "<b>&0" not in page
    assert page.count("<tr>") == 51
    assert "<svg" in page
    assert page.count("<polyline") == 2  # one line per machine
    assert ">M0</text>" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


async def test_html_table_is_capped_with_a_note(store: LocalArtifactStore) -> None:
    n = MAX_HTML_ROWS + 5
    definition = ReportDefinition(
        name="out", function=lambda: pa.table({"n": list(range(n))}), formats=[OutputFormat.HTML]
    )
    result = await run(definition, Settings(), store)
    page = store.path_of("job1/out.html").read_text()
    assert result.rows == n
    assert page.count("<tr>") == MAX_HTML_ROWS + 1
    assert f"first {MAX_HTML_ROWS:,} of {n:,} rows" in page


async def test_chart_with_a_missing_column_is_a_render_error(store: LocalArtifactStore) -> None:
    chart = ChartSpec(x="day", y=["nope"])
    with pytest.raises(RenderError, match="html chart: no column 'nope'"):
        await run(_definition(chart=chart), Settings(), store)
    assert not any(p.is_file() for p in store.root.rglob("*"))


async def test_empty_result_still_renders_headers(store: LocalArtifactStore) -> None:
    definition = ReportDefinition(
        name="out",
        function=lambda: pa.table({"a": pa.array([], pa.int64())}),
        formats=[OutputFormat.CSV, OutputFormat.XLSX],
    )
    result = await run(definition, Settings(), store)
    assert result.rows == 0
    assert store.path_of("job1/out.csv").read_text().strip() == '"a"'
    sheet = openpyxl.load_workbook(store.path_of("job1/out.xlsx")).active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == ["a"]
