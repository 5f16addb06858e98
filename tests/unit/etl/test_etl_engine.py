"""run_report as a whole: limits, cancellation, progress, load, all-or-nothing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from etl_helpers import GL_ROWS, Recorder, leftovers, run

from reportflow.artifacts import LocalArtifactStore
from reportflow.catalog.model import (
    Limits,
    LoadTarget,
    OutputFormat,
    ReportDefinition,
    Source,
    TransformStep,
)
from reportflow.config import Settings
from reportflow.errors import LoadError, RowLimitError
from reportflow.etl import Stage


def _gl(**kwargs: object) -> ReportDefinition:
    return ReportDefinition(
        name="gl", source=Source(connection="wh", query="SELECT * FROM gl"), **kwargs
    )


async def test_max_rows_fails_and_leaves_nothing(
    settings: Settings, store: LocalArtifactStore
) -> None:
    definition = _gl(formats=list(OutputFormat), limits=Limits(max_rows=GL_ROWS - 1))
    with pytest.raises(RowLimitError, match=r"report 'gl' produced more than 999 rows"):
        await run(definition, settings, store)
    assert leftovers(store) == []


async def test_max_rows_counts_the_result_not_the_source(
    settings: Settings, store: LocalArtifactStore
) -> None:
    step = TransformStep(kind="sql", sql="SELECT account FROM input GROUP BY account")
    definition = _gl(transform=[step], limits=Limits(max_rows=5))
    result = await run(definition, settings, store)
    assert result.rows == 5


async def test_progress_reports_stages_in_order(
    settings: Settings, store: LocalArtifactStore
) -> None:
    recorder = Recorder()
    step = TransformStep(kind="sql", sql="SELECT * FROM input ORDER BY id DESC")
    await run(_gl(transform=[step]), settings, store, progress=recorder)
    stages = recorder.stages
    assert stages[0] == Stage.EXTRACT
    assert stages[-1] == Stage.DONE
    assert Stage.RENDER in stages
    order = [Stage.EXTRACT, Stage.TRANSFORM, Stage.RENDER, Stage.DONE]
    seen = [s for s in order if s in stages]
    assert [s for s in dict.fromkeys(stages)] == seen
    assert recorder.updates[-1].rows == GL_ROWS
    assert recorder.updates[-1].percent == 100.0


class _Gate:
    """A function source that yields a few batches, then trickles slowly."""

    def __init__(self) -> None:
        self.first_sent = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> Iterator[pa.RecordBatch]:
        batch = pa.record_batch({"n": list(range(1000))})
        for _ in range(3):  # past the look-ahead: the writers are open now
            yield batch
        self.first_sent.set()
        for _ in range(100):
            self.release.wait(0.05)
            yield batch


async def test_cancellation_stops_the_thread_and_leaves_nothing(store: LocalArtifactStore) -> None:
    gate = _Gate()
    definition = ReportDefinition(name="slow", function=gate, formats=list(OutputFormat))
    task = asyncio.create_task(run(definition, Settings(), store))
    assert await asyncio.to_thread(gate.first_sent.wait, 10)
    assert any(p.suffix == ".part" for p in leftovers(store))  # it was really writing

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert leftovers(store) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("reportflow-etl-")]


async def test_timeout_from_the_caller_cancels_cleanly(store: LocalArtifactStore) -> None:
    gate = _Gate()
    definition = ReportDefinition(name="slow", function=gate, formats=[OutputFormat.XLSX])
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.5):
            await run(definition, Settings(), store)
    assert leftovers(store) == []


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


async def test_load_appends_and_replaces_in_sqlite(
    settings: Settings, store: LocalArtifactStore, warehouse: Path
) -> None:
    step = TransformStep(
        kind="sql", sql="SELECT account, sum(amount) AS total FROM input GROUP BY 1 ORDER BY 1"
    )
    append = _gl(transform=[step], formats=[], load=LoadTarget(connection="wh", table="totals"))
    first = await run(append, settings, store)
    await run(append, settings, store)
    assert first.loaded_rows == 5
    assert first.artifacts == []
    assert _rows(warehouse, "SELECT count(*) FROM totals") == [(10,)]

    replace = _gl(
        transform=[step],
        formats=[],
        load=LoadTarget(connection="wh", table="totals", mode="replace"),
    )
    await run(replace, settings, store)
    assert _rows(warehouse, "SELECT count(*), count(DISTINCT account) FROM totals") == [(5, 5)]


async def test_failed_load_rolls_back(
    settings: Settings, store: LocalArtifactStore, warehouse: Path
) -> None:
    with sqlite3.connect(warehouse) as conn:
        conn.execute("CREATE TABLE target (id INTEGER PRIMARY KEY, account TEXT)")
        conn.execute("INSERT INTO target VALUES (1, 'old')")
    # Replace would delete the old row, then the duplicate ids fail the insert.
    step = TransformStep(kind="sql", sql="SELECT id % 10 AS id, account FROM input")
    definition = _gl(
        transform=[step],
        formats=[OutputFormat.CSV],
        load=LoadTarget(connection="wh", table="target", mode="replace"),
    )
    with pytest.raises(LoadError, match=r"load into wh\.target: .*UNIQUE"):
        await run(definition, settings, store)
    assert _rows(warehouse, "SELECT * FROM target") == [(1, "old")]
    assert leftovers(store) == []


async def test_failed_load_drops_the_table_it_created(
    settings: Settings, store: LocalArtifactStore, warehouse: Path
) -> None:
    def rows() -> Iterator[dict[str, object]]:
        yield from ({"n": i} for i in range(70_000))
        yield {"n": "boom"}

    definition = ReportDefinition(
        name="f", function=rows, formats=[], load=LoadTarget(connection="wh", table="fresh")
    )
    with pytest.raises(Exception, match="column 'n'"):
        await run(definition, settings, store)
    assert _rows(warehouse, "SELECT name FROM sqlite_master WHERE name = 'fresh'") == []
