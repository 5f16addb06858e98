"""PostgreSQL and MariaDB as sources (server-side cursors) and load targets."""

from __future__ import annotations

import datetime
import decimal
import socket
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from reportflow.artifacts import LocalArtifactStore
from reportflow.catalog.model import (
    LoadTarget,
    OutputFormat,
    ReportDefinition,
    Source,
    TransformStep,
)
from reportflow.config import Settings
from reportflow.errors import SourceError
from reportflow.etl import run_report
from reportflow.etl.sources.sql import sync_url

pytestmark = pytest.mark.integration

ROWS = 70_000  # more than one batch


def _seed(url: str) -> None:
    engine = sa.create_engine(sync_url(sa.make_url(url)))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE gl (id INTEGER PRIMARY KEY, account VARCHAR(10), "
                "day DATE, amount NUMERIC(12, 2))"
            )
        )
        start = datetime.date(2024, 1, 1)
        conn.execute(
            sa.text("INSERT INTO gl VALUES (:id, :account, :day, :amount)"),
            [
                {
                    "id": i,
                    "account": f"A{i % 7}",
                    "day": start + datetime.timedelta(days=i % 366),
                    "amount": decimal.Decimal(i) / 4,
                }
                for i in range(ROWS)
            ],
        )
    engine.dispose()


def _definition(**kwargs: object) -> ReportDefinition:
    query = "SELECT id, account, day, amount FROM gl WHERE account IN :accounts AND day >= :since"
    options: dict[str, object] = {"formats": [OutputFormat.PARQUET], **kwargs}
    return ReportDefinition(name="gl", source=Source(connection="db", query=query), **options)


@pytest.fixture(params=["postgres", "mariadb"])
def db_url(request: pytest.FixtureRequest) -> str:
    fixture = "postgres_url" if request.param == "postgres" else "mariadb_url"
    url: str = request.getfixturevalue(fixture)
    _seed(url)
    return url


async def test_sql_source_streams_with_bound_params(db_url: str, tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    settings = Settings(connections={"db": db_url})
    params = {"accounts": ["A1", "A3"], "since": datetime.date(2024, 2, 1)}
    result = await run_report(_definition(), params, settings=settings, store=store, job_id="j")
    table = pq.read_table(store.path_of("j/gl.parquet"))
    start = datetime.date(2024, 1, 1)
    expected = [
        i
        for i in range(ROWS)
        if i % 7 in (1, 3) and start + datetime.timedelta(days=i % 366) >= params["since"]
    ]
    assert result.rows == len(expected)
    assert sorted(table.column("id").to_pylist()) == expected
    assert table.schema.field("day").type == pa.date32()
    assert table.schema.field("amount").type == pa.float64()  # Decimal → float64
    amounts = dict(
        zip(table.column("id").to_pylist(), table.column("amount").to_pylist(), strict=True)
    )
    assert amounts[expected[0]] == expected[0] / 4


async def test_load_append_and_replace(db_url: str, tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    settings = Settings(connections={"db": db_url})
    step = TransformStep(
        kind="sql", sql="SELECT account, count(*) AS n, sum(amount) AS total FROM input GROUP BY 1"
    )
    params = {"accounts": ["A0", "A1", "A2"], "since": datetime.date(2024, 1, 1)}
    for mode in ("append", "append", "replace"):
        definition = _definition(
            transform=[step],
            formats=[],
            load=LoadTarget(connection="db", table="totals", mode=mode),
        )
        result = await run_report(definition, params, settings=settings, store=store, job_id="j")
        assert result.loaded_rows == 3
    engine = sa.create_engine(sync_url(sa.make_url(db_url)))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT account, n FROM totals ORDER BY account")).fetchall()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("A0", 10000), ("A1", 10000), ("A2", 10000)]


async def test_sql_error_names_the_connection(db_url: str, tmp_path: Path) -> None:
    settings = Settings(connections={"db": db_url})
    definition = ReportDefinition(
        name="bad", source=Source(connection="db", query="SELECT nope FROM gl")
    )
    with pytest.raises(SourceError) as info:
        await run_report(
            definition, {}, settings=settings, store=LocalArtifactStore(tmp_path), job_id="j"
        )
    assert str(info.value).startswith("connection 'db':")
    assert "nope" in str(info.value)
    assert "\n" not in str(info.value)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
async def test_unreachable_database_is_one_line(scheme: str, tmp_path: Path) -> None:
    url = f"{scheme}://u@127.0.0.1:{_closed_port()}/db"
    settings = Settings(connections={"db": url})
    definition = ReportDefinition(name="r", source=Source(connection="db", query="SELECT 1"))
    with pytest.raises(SourceError, match="connection 'db':") as info:
        await run_report(
            definition, {}, settings=settings, store=LocalArtifactStore(tmp_path), job_id="j"
        )
    assert "\n" not in str(info.value)
