"""Run a demo report's own SQL by hand: the source query through SQLAlchemy,
then its ``sql`` transform steps in DuckDB over the extracted table ``input``.

This is what the ETL engine does, written out plainly so the numbers of the
demo reports can be checked without depending on the engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import duckdb
import pyarrow as pa
import sqlalchemy as sa

from reportflow.catalog import ReportDefinition
from reportflow.demo.warehouse import engine_url

DUCKDB_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def extract(definition: ReportDefinition, url: str, params: Mapping[str, Any]) -> pa.Table:
    assert definition.source is not None
    assert definition.source.query is not None
    stmt = sa.text(definition.source.query)
    used = {name: params[name] for name in stmt._bindparams if name in params}
    engine = sa.create_engine(engine_url(url))
    try:
        with engine.connect() as conn:
            result = conn.execute(stmt, used)
            names = list(result.keys())
            rows = [dict(zip(names, row, strict=True)) for row in result]
    finally:
        engine.dispose()
    return pa.Table.from_pylist(rows) if rows else pa.table({n: [] for n in names})


def run_demo_sql(
    definition: ReportDefinition, url: str, params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    table = extract(definition, url, params)
    for step in definition.transform:
        if step.kind != "sql":
            continue  # smooth/forecast steps: tests/unit/etl/test_timeseries_steps.py
        sql = step.options["sql"]
        con = duckdb.connect()
        try:
            con.register("input", table)
            used = {name: params[name] for name in DUCKDB_PARAM.findall(sql)}
            table = con.sql(sql, params=used or None).to_arrow_table()
        finally:
            con.close()
    return table.to_pylist()
