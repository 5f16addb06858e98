"""Extract: SQLite (ADBC), files, Python functions; each read back through run_report."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from etl_helpers import GL_ROWS, leftovers, run

from reportflow.artifacts import LocalArtifactStore
from reportflow.catalog.model import OutputFormat, ReportDefinition, Source
from reportflow.config import Settings
from reportflow.errors import ConfigError, SourceError


def _parquet(store: LocalArtifactStore, name: str) -> pa.Table:
    return pq.read_table(store.path_of(f"job1/{name}.parquet"))


def _sql_report(query: str, name: str = "r") -> ReportDefinition:
    return ReportDefinition(
        name=name, source=Source(connection="wh", query=query), formats=[OutputFormat.PARQUET]
    )


async def test_sqlite_streams_all_rows_with_types(
    settings: Settings, store: LocalArtifactStore
) -> None:
    result = await run(_sql_report("SELECT * FROM gl ORDER BY id"), settings, store)

    table = _parquet(store, "r")
    assert result.rows == GL_ROWS == table.num_rows
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("amount").type == pa.float64()
    assert table.column("amount").to_pylist()[:3] == [0.0, 0.5, 1.0]


async def test_sqlite_binds_scalar_date_and_list_parameters(
    settings: Settings, store: LocalArtifactStore
) -> None:
    query = (
        "SELECT id, account FROM gl WHERE account IN :accounts AND day >= :since "
        "AND id < :below ORDER BY id"
    )
    params = {"accounts": ["A1", "A2"], "since": datetime.date(2024, 1, 10), "below": 200}
    await run(_sql_report(query), settings, store, params)

    table = _parquet(store, "r")
    expected = [
        i
        for i in range(200)
        if i % 5 in (1, 2)
        and datetime.date(2024, 1, 1) + datetime.timedelta(days=i % 60)
        >= datetime.date(2024, 1, 10)
    ]
    assert table.column("id").to_pylist() == expected
    assert set(table.column("account").to_pylist()) == {"A1", "A2"}


async def test_sqlite_parameter_values_are_not_interpolated(
    settings: Settings, store: LocalArtifactStore
) -> None:
    hostile = "A1' OR '1'='1"
    await run(
        _sql_report("SELECT id FROM gl WHERE account = :acct"), settings, store, {"acct": hostile}
    )
    assert _parquet(store, "r").num_rows == 0


async def test_sql_error_is_one_line_naming_the_connection(
    settings: Settings, store: LocalArtifactStore
) -> None:
    with pytest.raises(SourceError) as info:
        await run(_sql_report("SELECT nope FROM gl"), settings, store)
    message = str(info.value)
    assert message.startswith("connection 'wh':")
    assert "nope" in message
    assert "\n" not in message
    assert [p for p in leftovers(store) if ".staging" not in p.parts] == []


async def test_missing_sqlite_file_is_a_source_error(
    tmp_path: Path, store: LocalArtifactStore
) -> None:
    settings = Settings(connections={"wh": f"sqlite:///{tmp_path / 'absent.db'}"})
    with pytest.raises(SourceError, match=r"absent\.db does not exist"):
        await run(_sql_report("SELECT 1"), settings, store)
    assert not (tmp_path / "absent.db").exists()


async def test_unknown_connection_names_the_configured_ones(
    settings: Settings, store: LocalArtifactStore
) -> None:
    definition = ReportDefinition(name="r", source=Source(connection="nowhere", query="SELECT 1"))
    with pytest.raises(ConfigError, match=r"unknown connection 'nowhere'.*wh"):
        await run(definition, settings, store)


def _write_csv_files(folder: Path) -> None:
    folder.mkdir()
    for part in range(3):
        table = pa.table({"n": list(range(part * 10, part * 10 + 10)), "part": [part] * 10})
        pacsv.write_csv(table, folder / f"part{part}.csv")


async def test_csv_glob_reads_every_file_in_name_order(
    tmp_path: Path, store: LocalArtifactStore
) -> None:
    _write_csv_files(tmp_path / "in")
    settings = Settings(connections={"files": f"file://{tmp_path / 'in'}/*.csv"})
    definition = ReportDefinition(
        name="r", source=Source(connection="files"), formats=[OutputFormat.PARQUET]
    )
    result = await run(definition, settings, store)
    assert result.rows == 30
    assert _parquet(store, "r").column("n").to_pylist() == list(range(30))


async def test_parquet_directory_with_relative_glob(
    tmp_path: Path, store: LocalArtifactStore
) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    pq.write_table(
        pa.table({"x": [1.5, 2.5], "d": [datetime.date(2024, 5, 1)] * 2}), folder / "a.parquet"
    )
    pq.write_table(pa.table({"x": [3.5], "d": [datetime.date(2024, 5, 2)]}), folder / "b.parquet")
    (folder / "ignored.csv").write_text("x\n9\n")
    settings = Settings(connections={"lake": str(folder)})
    definition = ReportDefinition(
        name="r",
        source=Source(connection="lake", query="*.parquet"),
        formats=[OutputFormat.PARQUET],
    )
    await run(definition, settings, store)
    table = _parquet(store, "r")
    assert table.column("x").to_pylist() == [1.5, 2.5, 3.5]
    assert table.schema.field("d").type == pa.date32()


async def test_missing_files_are_a_source_error(tmp_path: Path, store: LocalArtifactStore) -> None:
    settings = Settings(connections={"files": f"{tmp_path}/nothing/*.csv"})
    definition = ReportDefinition(name="r", source=Source(connection="files"))
    with pytest.raises(SourceError, match=r"connection 'files': no file matches .*nothing/\*\.csv"):
        await run(definition, settings, store)


async def test_unsupported_file_type_is_named(tmp_path: Path, store: LocalArtifactStore) -> None:
    (tmp_path / "data.xml").write_text("<x/>")
    settings = Settings(connections={"files": str(tmp_path / "data.xml")})
    definition = ReportDefinition(name="r", source=Source(connection="files"))
    with pytest.raises(SourceError, match=r"unsupported file type .*data\.xml"):
        await run(definition, settings, store)


def _rows(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {
            "i": i,
            "label": f"row {i}",
            "when": datetime.date(2024, 1, 1) + datetime.timedelta(days=i),
        }


@pytest.mark.parametrize("kind", ["generator", "list", "table", "batches", "async", "async_gen"])
async def test_function_sources(kind: str, tmp_path: Path, store: LocalArtifactStore) -> None:
    n = 70_000  # more than one batch

    def gen(limit: int) -> Iterator[dict[str, Any]]:
        return _rows(limit)

    def as_list(limit: int) -> list[dict[str, Any]]:
        return list(_rows(limit))

    def as_table(limit: int) -> pa.Table:
        return pa.Table.from_pylist(list(_rows(limit)))

    def as_batches(limit: int) -> Iterator[pa.RecordBatch]:
        table = pa.Table.from_pylist(list(_rows(limit)))
        yield from table.to_batches(max_chunksize=1000)

    async def as_async(limit: int) -> pa.Table:
        await asyncio.sleep(0)
        return pa.Table.from_pylist(list(_rows(limit)))

    async def as_async_gen(limit: int) -> AsyncIterator[dict[str, Any]]:
        for row in _rows(limit):
            yield row

    functions = {
        "generator": gen,
        "list": as_list,
        "table": as_table,
        "batches": as_batches,
        "async": as_async,
        "async_gen": as_async_gen,
    }
    definition = ReportDefinition(
        name="f", function=functions[kind], formats=[OutputFormat.PARQUET]
    )
    result = await run(definition, Settings(), store, {"limit": n, "unused": 1})
    table = _parquet(store, "f")
    assert result.rows == n == table.num_rows
    assert table.column("i").to_pylist()[-1] == n - 1
    assert table.schema.field("when").type == pa.date32()


async def test_function_errors_are_wrapped_in_one_line(store: LocalArtifactStore) -> None:
    def broken() -> list[dict[str, Any]]:
        raise KeyError("account")

    definition = ReportDefinition(name="f", function=broken)
    with pytest.raises(SourceError, match=r"report function 'f' failed: KeyError: 'account'"):
        await run(definition, Settings(), store)


async def test_function_returning_garbage_is_rejected(store: LocalArtifactStore) -> None:
    definition = ReportDefinition(name="f", function=lambda: 42)
    with pytest.raises(SourceError, match="returned int"):
        await run(definition, Settings(), store)


async def test_later_values_that_do_not_fit_the_first_batch_name_the_column(
    store: LocalArtifactStore,
) -> None:
    def rows() -> Iterator[dict[str, Any]]:
        yield from ({"n": i} for i in range(70_000))
        yield {"n": "not a number"}

    definition = ReportDefinition(name="f", function=rows)
    with pytest.raises(SourceError, match="column 'n' does not fit type int64"):
        await run(definition, Settings(), store)
    assert [p for p in leftovers(store) if ".staging" not in p.parts] == []
