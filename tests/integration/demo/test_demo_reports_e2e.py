"""The demo reports end to end through the ETL engine, on every database."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from reportflow.artifacts import LocalArtifactStore
from reportflow.catalog import Catalog, bind_parameters
from reportflow.config import Settings
from reportflow.demo import build_warehouse
from reportflow.etl import Progress, run_report

pytestmark = pytest.mark.integration


def settings_for(url: str, tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", connections={"warehouse": url})


def read_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def read_csv(path: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read_text(path))))


async def test_trial_balance_csv_and_xlsx(
    warehouse_url: str, demo_catalog: Catalog, tmp_path: Path
) -> None:
    build_warehouse(warehouse_url, 2_000)
    definition = demo_catalog.get("trial_balance")
    seen: list[Progress] = []

    async def progress(p: Progress) -> None:
        seen.append(p)

    result = await run_report(
        definition,
        bind_parameters(definition, {}),
        settings=settings_for(warehouse_url, tmp_path),
        store=LocalArtifactStore(tmp_path / "artifacts"),
        job_id="tb1",
        progress=progress,
    )
    by_format = {a.format: a for a in result.artifacts}
    assert set(by_format) == {"csv", "xlsx"}
    rows = read_csv(by_format["csv"].location)
    assert len(rows) == result.rows > 0
    assert list(rows[0]) == ["code", "name", "type", "debits", "credits", "net"]
    assert sum(Decimal(r["net"]) for r in rows) == 0
    assert all(Decimal(r["net"]) == Decimal(r["debits"]) - Decimal(r["credits"]) for r in rows)
    assert seen, "progress was reported"


async def test_machine_mtbf_html_and_csv(
    warehouse_url: str, demo_catalog: Catalog, tmp_path: Path
) -> None:
    build_warehouse(warehouse_url, 2)
    definition = demo_catalog.get("machine_mtbf")
    params = bind_parameters(definition, {"date_from": "2025-01-01", "date_to": "2025-07-01"})
    result = await run_report(
        definition,
        params,
        settings=settings_for(warehouse_url, tmp_path),
        store=LocalArtifactStore(tmp_path / "artifacts"),
        job_id="mtbf1",
    )
    by_format = {a.format: a for a in result.artifacts}
    assert set(by_format) == {"html", "csv"}
    rows = read_csv(by_format["csv"].location)
    assert len(rows) == 12 * 6  # every machine, every month
    assert {r["month"] for r in rows} == {f"2025-0{m}" for m in range(1, 7)}
    for row in rows:
        if int(row["failures"]):
            mtbf = float(row["uptime_hours"]) / int(row["failures"])
            assert float(row["mtbf_hours"]) == pytest.approx(mtbf, abs=0.01)
    html = read_text(by_format["html"].location)
    assert "mtbf_ma" in html


async def test_gage_calibration_due_and_python_reports(
    warehouse_url: str, demo_catalog: Catalog, tmp_path: Path
) -> None:
    build_warehouse(warehouse_url, 2)
    settings = settings_for(warehouse_url, tmp_path)
    store = LocalArtifactStore(tmp_path / "artifacts")
    gage = demo_catalog.get("gage_calibration_due")
    params = bind_parameters(gage, {"within_days": "0", "as_of": "2026-06-01"})
    result = await run_report(gage, params, settings=settings, store=store, job_id="g1")
    csv_artifact = next(a for a in result.artifacts if a.format == "csv")
    rows = read_csv(csv_artifact.location)
    assert rows, "some gages are overdue on 2026-06-01"
    assert all(r["due_on"] <= "2026-06-01" for r in rows)

    for name, raw in (("noop", {}), ("sleep", {"seconds": "0"})):
        definition = demo_catalog.get(name)
        done = await run_report(
            definition,
            bind_parameters(definition, raw),
            settings=settings,
            store=store,
            job_id=f"{name}1",
        )
        assert done.rows == 1
