"""One benchmark case per process: ``python -m bench.etl.cases CASE DB OUT``.

Prints one JSON line: wall seconds of the work (imports excluded) and the
process's peak RSS, which the driver compares across cases.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path

REPORTS = Path(__file__).resolve().parents[2] / "reports"
TB_PARAMS = {"period_from": "2025-01", "period_to": "2026-12"}
TB_LINES_SQL = """
SELECT a.code, a.name, a.type, e.debit, e.credit
FROM gl_entries e JOIN gl_accounts a ON a.account_id = e.account_id
WHERE e.period_id >= :period_from AND e.period_id <= :period_to
"""


def _reportflow(db: str, out: str, report: str, fmt: str) -> int:
    from reportflow.artifacts import LocalArtifactStore
    from reportflow.catalog import Catalog, OutputFormat, ReportDefinition, Source, bind_parameters
    from reportflow.config import Settings
    from reportflow.etl import run_report

    settings = Settings(catalog=[REPORTS], connections={"warehouse": f"sqlite:///{db}"})
    if report == "export":
        definition = ReportDefinition(
            name="gl_export",
            source=Source(connection="warehouse", query="SELECT * FROM gl_entries"),
        )
        params: dict[str, object] = {}
    else:
        definition = Catalog.from_settings(settings).get(report)
        params = bind_parameters(definition, TB_PARAMS)

    async def go() -> int:
        result = await run_report(
            definition,
            params,
            settings=settings,
            store=LocalArtifactStore(out),
            job_id="bench",
            formats=[OutputFormat(fmt)],
        )
        return result.rows

    return asyncio.run(go())


TB_DUCKDB_STEP = """
SELECT code, name, type,
       round(sum(debit), 2) AS debits, round(sum(credit), 2) AS credits,
       round(sum(debit) - sum(credit), 2) AS net
FROM input GROUP BY code, name, type ORDER BY code
"""


def _reportflow_tb_duckdb(db: str, out: str) -> int:
    """The trial balance with the aggregation moved from SQLite into the sql step."""
    from reportflow.artifacts import LocalArtifactStore
    from reportflow.catalog import OutputFormat, ReportDefinition, Source, TransformStep
    from reportflow.config import Settings
    from reportflow.etl import run_report

    settings = Settings(connections={"warehouse": f"sqlite:///{db}"})
    definition = ReportDefinition(
        name="tb_duckdb",
        source=Source(connection="warehouse", query=TB_LINES_SQL),
        transform=[TransformStep(kind="sql", sql=TB_DUCKDB_STEP)],
    )

    async def go() -> int:
        result = await run_report(
            definition,
            TB_PARAMS,
            settings=settings,
            store=LocalArtifactStore(out),
            job_id="bench",
            formats=[OutputFormat.CSV],
        )
        return result.rows

    return asyncio.run(go())


def _pandas_tb(db: str, out: str, fmt: str) -> int:
    import pandas as pd
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{db}")
    lines = pd.read_sql(sa.text(TB_LINES_SQL), engine, params=TB_PARAMS)
    tb = lines.groupby(["code", "name", "type"], as_index=False)[["debit", "credit"]].sum()
    tb["net"] = tb["debit"] - tb["credit"]
    if fmt == "csv":
        tb.to_csv(Path(out) / "tb.csv", index=False)
    else:
        tb.to_excel(Path(out) / "tb.xlsx", index=False)
    return len(tb)


def _pandas_export(db: str, out: str) -> int:
    import pandas as pd
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{db}")
    frame = pd.read_sql(sa.text("SELECT * FROM gl_entries"), engine)
    frame.to_csv(Path(out) / "gl.csv", index=False)
    return len(frame)


CASES = {
    "reportflow_tb_csv": lambda db, out: _reportflow(db, out, "trial_balance", "csv"),
    "reportflow_tb_xlsx": lambda db, out: _reportflow(db, out, "trial_balance", "xlsx"),
    "reportflow_tb_duckdb_csv": lambda db, out: _reportflow_tb_duckdb(db, out),
    "pandas_tb_csv": lambda db, out: _pandas_tb(db, out, "csv"),
    "pandas_tb_xlsx": lambda db, out: _pandas_tb(db, out, "xlsx"),
    "reportflow_export_csv": lambda db, out: _reportflow(db, out, "export", "csv"),
    "pandas_export_csv": lambda db, out: _pandas_export(db, out),
}


def main() -> None:
    case, db, out = sys.argv[1:4]
    Path(out).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = CASES[case](db, out)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"case": case, "rows": rows, "seconds": wall, "peak_mb": peak_mb}))


if __name__ == "__main__":
    main()
