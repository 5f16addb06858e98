"""Transforms: sql (DuckDB, $params), rename, format, the registry."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from etl_helpers import run

from reportflow.artifacts import LocalArtifactStore
from reportflow.catalog.model import OutputFormat, ReportDefinition, Source, TransformStep
from reportflow.config import Settings
from reportflow.errors import TransformError
from reportflow.etl import register_transform, transform_kinds


def _report(*steps: TransformStep) -> ReportDefinition:
    return ReportDefinition(
        name="t",
        source=Source(connection="wh", query="SELECT * FROM gl"),
        transform=list(steps),
        formats=[OutputFormat.PARQUET],
    )


def _out(store: LocalArtifactStore) -> pa.Table:
    return pq.read_table(store.path_of("job1/t.parquet"))


async def test_sql_step_aggregates_with_bound_dollar_params(
    settings: Settings, store: LocalArtifactStore
) -> None:
    step = TransformStep(
        kind="sql",
        sql="SELECT account, count(*) AS n, sum(amount) AS total FROM input "
        "WHERE id >= $lo GROUP BY account ORDER BY account",
    )
    # `hi` is declared but unused by the statement: it must not be passed to DuckDB.
    result = await run(_report(step), settings, store, {"lo": 500, "hi": 9})
    table = _out(store)
    assert result.rows == 5
    assert table.column("account").to_pylist() == ["A0", "A1", "A2", "A3", "A4"]
    assert table.column("n").to_pylist() == [100] * 5
    expected_a0 = sum(i * 0.5 for i in range(500, 1000) if i % 5 == 0)
    assert table.column("total").to_pylist()[0] == pytest.approx(expected_a0)


async def test_sql_step_reading_input_twice_is_materialized(
    settings: Settings, store: LocalArtifactStore
) -> None:
    step = TransformStep(
        kind="sql",
        query="SELECT a.account, count(*) AS n FROM input a "
        "JOIN (SELECT DISTINCT account FROM input) b USING (account) GROUP BY 1 ORDER BY 1",
    )
    await run(_report(step), settings, store)
    assert _out(store).column("n").to_pylist() == [200] * 5


async def test_sql_step_error_is_a_transform_error(
    settings: Settings, store: LocalArtifactStore
) -> None:
    step = TransformStep(kind="sql", sql="SELECT missing_column FROM input")
    with pytest.raises(TransformError, match=r"transform 'sql': .*missing_column") as info:
        await run(_report(step), settings, store)
    assert "\n" not in str(info.value)


async def test_sql_step_needs_a_statement(settings: Settings, store: LocalArtifactStore) -> None:
    with pytest.raises(TransformError, match="option 'sql' must hold a SQL statement"):
        await run(_report(TransformStep(kind="sql")), settings, store)


async def test_rename_and_format_steps(settings: Settings, store: LocalArtifactStore) -> None:
    steps = [
        TransformStep(kind="sql", sql="SELECT id, CAST(day AS DATE) AS day, amount FROM input"),
        TransformStep(kind="rename", columns={"amount": "value"}),
        TransformStep(kind="format", columns={"value": "{:.2f}", "day": "%Y-%m"}),
    ]
    await run(_report(*steps), settings, store)
    table = _out(store)
    assert table.schema.names == ["id", "day", "value"]
    assert table.schema.field("value").type == pa.string()
    assert table.column("value").to_pylist()[:3] == ["0.00", "0.50", "1.00"]
    assert table.column("day").to_pylist()[0] == "2024-01"
    assert set(table.column("day").to_pylist()) == {"2024-01", "2024-02"}


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (TransformStep(kind="rename", columns={"nope": "x"}), "no column 'nope'"),
        (TransformStep(kind="rename", columns={"id": "account"}), "two columns would be named"),
        (TransformStep(kind="rename"), "'columns' must be a non-empty mapping"),
        (TransformStep(kind="format", columns={"amount": "%Y"}), "needs a date or time"),
        (TransformStep(kind="format", columns={"amount": "{:q}"}), "bad spec"),
        (TransformStep(kind="format", columns={"amount": "plain"}), "has no"),
        (TransformStep(kind="pivot"), "unknown transform kind 'pivot'"),
    ],
)
async def test_bad_steps_are_named(
    step: TransformStep, message: str, settings: Settings, store: LocalArtifactStore
) -> None:
    with pytest.raises(TransformError, match=message):
        await run(_report(step), settings, store)


async def test_registered_table_transform_gets_table_step_and_params(
    settings: Settings, store: LocalArtifactStore
) -> None:
    seen: dict[str, Any] = {}

    def double(table: pa.Table, step: TransformStep, params: Mapping[str, Any]) -> pa.Table:
        seen["rows"] = table.num_rows
        seen["factor"] = step.options["factor"]
        seen["param"] = params["tag"]
        scaled = pa.compute.multiply(table.column("amount"), step.options["factor"])
        return table.set_column(table.schema.get_field_index("amount"), "amount", scaled)

    register_transform("test_double", double)
    assert "test_double" in transform_kinds()
    step = TransformStep(kind="test_double", factor=2)
    await run(_report(step), settings, store, {"tag": "x"})
    assert seen == {"rows": 1000, "factor": 2, "param": "x"}
    assert _out(store).column("amount").to_pylist()[:2] == [0.0, 1.0]


async def test_table_transform_failure_is_wrapped(
    settings: Settings, store: LocalArtifactStore
) -> None:
    def boom(table: pa.Table, step: TransformStep, params: Mapping[str, Any]) -> pa.Table:
        raise ValueError("window larger than series")

    register_transform("test_boom", boom)
    with pytest.raises(TransformError, match="'test_boom' failed: ValueError: window larger"):
        await run(_report(TransformStep(kind="test_boom")), settings, store)


async def test_format_of_timestamps_and_integers(store: LocalArtifactStore) -> None:
    def rows() -> pa.Table:
        return pa.table({"at": [datetime.datetime(2024, 3, 5, 14, 30)], "n": [1234567], "s": ["x"]})

    definition = ReportDefinition(
        name="t",
        function=rows,
        transform=[TransformStep(kind="format", columns={"at": "%d.%m.%Y %H:%M", "n": "{:,d}"})],
        formats=[OutputFormat.PARQUET],
    )
    await run(definition, Settings(), store)
    assert _out(store).to_pylist() == [{"at": "05.03.2024 14:30", "n": "1,234,567", "s": "x"}]
