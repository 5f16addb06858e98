"""The smooth and forecast steps against reportflow.timeseries itself, and the
report_workload / machine_mtbf definitions that use them."""

from __future__ import annotations

import csv
import datetime
import io
import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from etl_helpers import run

from reportflow.artifacts import LocalArtifactStore
from reportflow.catalog import Catalog, bind_parameters
from reportflow.catalog.model import TransformStep
from reportflow.config import Settings
from reportflow.errors import TransformError
from reportflow.etl import transform_kinds
from reportflow.etl.transforms.timeseries_steps import forecast, smooth
from reportflow.queue import connect
from reportflow.timeseries import ewma, fit, holt, holt_winters, ses, sma, wma

REPORTS = Path(__file__).resolve().parents[3] / "reports"
RNG = np.random.default_rng(11)


def step(kind: str, **options: Any) -> TransformStep:
    return TransformStep(kind=kind, **options)


def seasonal(n: int, period: int = 24) -> np.ndarray:
    t = np.arange(n)
    return 50 + 0.05 * t + 20 * np.sin(2 * np.pi * t / period) + RNG.normal(0, 2, n)


def test_steps_are_registered() -> None:
    assert {"smooth", "forecast"} <= set(transform_kinds())


def test_smooth_sma_per_group_in_x_order() -> None:
    a, b = np.arange(10.0) ** 2, np.arange(10.0) * -3
    rows = [("a", i, float(a[i])) for i in range(10)] + [("b", i, float(b[i])) for i in range(10)]
    rows.reverse()  # the step sorts by group, then x
    table = pa.table(dict(zip(["g", "t", "v"], map(list, zip(*rows, strict=True)), strict=True)))
    out = smooth(table, step("smooth", method="sma", column="v", group="g", x="t", window=3), {})
    got = out.column("v_sma").to_numpy(zero_copy_only=False)
    np.testing.assert_allclose(got[:10], sma(a, 3), equal_nan=True)
    np.testing.assert_allclose(got[10:], sma(b, 3), equal_nan=True)
    assert out.column("v_sma").null_count == 4  # two per group before the window fills
    assert out.column("g").to_pylist() == ["a"] * 10 + ["b"] * 10


def test_smooth_ewma_skips_nulls() -> None:
    values = [10.0, None, 14.0, 12.0, None, 20.0]
    table = pa.table({"v": values})
    out = smooth(table, step("smooth", method="ewma", column="v", alpha=0.4, output="e"), {})
    expected = ewma([10.0, 14.0, 12.0, 20.0], 0.4)
    got = out.column("e").to_pylist()
    assert got[1] is None
    assert got[4] is None
    np.testing.assert_allclose([got[i] for i in (0, 2, 3, 5)], expected)


def test_smooth_nulls_zero_and_error() -> None:
    table = pa.table({"v": [1.0, None, 3.0]})
    out = smooth(table, step("smooth", method="ewma", column="v", alpha=0.5, nulls="zero"), {})
    np.testing.assert_allclose(out.column("v_ewma").to_numpy(), ewma([1.0, 0.0, 3.0], 0.5))
    with pytest.raises(TransformError, match="column 'v' is null at row 1"):
        smooth(table, step("smooth", method="ewma", column="v", nulls="error"), {})


def test_smooth_wma_ses_holt_match_the_library() -> None:
    y = seasonal(60)
    table = pa.table({"v": y})
    out = smooth(table, step("smooth", method="wma", column="v", weights=[1, 2, 3, 4]), {})
    np.testing.assert_allclose(out.column("v_wma").to_numpy(), wma(y, [1, 2, 3, 4]), equal_nan=True)
    out = smooth(table, step("smooth", method="ses", column="v", alpha=0.3, series="fitted"), {})
    np.testing.assert_allclose(out.column("v_ses").to_numpy(), ses(y, 0.3).fitted)
    out = smooth(table, step("smooth", method="holt", column="v", alpha=0.3, beta=0.1), {})
    np.testing.assert_allclose(out.column("v_holt").to_numpy(), holt(y, 0.3, 0.1).level)


def test_smooth_holt_winters_fit_matches_fit() -> None:
    y = seasonal(96)
    table = pa.table({"v": y})
    options = {"method": "holt_winters", "column": "v", "fit": True, "period": 24}
    out = smooth(table, step("smooth", **options), {})
    expected = fit(y, "holt_winters", period=24).result.fitted
    np.testing.assert_allclose(out.column("v_holt_winters").to_numpy(), expected)


def test_forecast_holt_winters_on_hourly_timestamps() -> None:
    y = seasonal(24 * 7)
    start = datetime.datetime(2026, 11, 1)
    hours = [start + datetime.timedelta(hours=i) for i in range(len(y))]
    table = pa.table({"hour": pa.array(hours, pa.timestamp("us")), "n": y.round().astype(int)})
    out = forecast(
        table,
        step(
            "forecast", method="holt_winters", column="n", x="hour", step="1 hour", horizon=24,
            fit=True, period=24, fitted="fit",
        ),
        {},
    )  # fmt: skip
    assert out.num_rows == len(y) + 24
    assert out.schema.field("n").type == pa.float64()  # counts become fractions
    assert out.column("kind").to_pylist() == ["actual"] * len(y) + ["forecast"] * 24
    best = fit(y.round(), "holt_winters", period=24)
    np.testing.assert_allclose(out.column("n").to_numpy()[len(y) :], best.result.forecast(24))
    np.testing.assert_allclose(out.column("fit").to_numpy()[: len(y)], best.result.fitted)
    future = out.column("hour").to_pylist()[len(y) :]
    assert future[0] == hours[-1] + datetime.timedelta(hours=1)
    assert future[-1] == hours[-1] + datetime.timedelta(hours=24)


def test_forecast_per_group_by_calendar_month() -> None:
    months = [datetime.date(2025, m, 31 if m in (1, 3) else 28) for m in (1, 2, 3)]
    table = pa.table(
        {
            "plant": ["P1"] * 3 + ["P2"] * 3,
            "month": months * 2,
            "units": [10.0, 12.0, 14.0, 5.0, 4.0, 3.0],
            "note": ["x"] * 6,
        }
    )
    out = forecast(
        table,
        step("forecast", method="holt", column="units", x="month", group="plant",
             step="1 month", horizon=2, alpha=0.5, beta=0.5),
        {},
    )  # fmt: skip
    new = out.slice(6).to_pylist()
    assert [r["plant"] for r in new] == ["P1", "P1", "P2", "P2"]
    assert [r["month"] for r in new[:2]] == [datetime.date(2025, 4, 30), datetime.date(2025, 5, 31)]
    assert all(r["note"] is None and r["kind"] == "forecast" for r in new)
    p1 = holt([10.0, 12.0, 14.0], 0.5, 0.5).forecast(2)
    p2 = holt([5.0, 4.0, 3.0], 0.5, 0.5).forecast(2)
    np.testing.assert_allclose([r["units"] for r in new], [*p1, *p2])


def test_forecast_numeric_x_infers_the_step_and_floors() -> None:
    table = pa.table({"t": [0, 5, 10, 15], "v": [9.0, 6.0, 3.0, 1.0]})
    out = forecast(
        table,
        step("forecast", method="holt", column="v", x="t", horizon=3, alpha=0.9, beta=0.9, floor=0),
        {},
    )
    assert out.column("t").to_pylist()[4:] == [20, 25, 30]
    raw = holt([9.0, 6.0, 3.0, 1.0], 0.9, 0.9).forecast(3)
    np.testing.assert_allclose(out.column("v").to_numpy()[4:], np.maximum(raw, 0))
    assert min(out.column("v").to_pylist()) == 0.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "median", "column": "v"}, "method must be one of"),
        ({"method": "sma", "column": "v", "alpha": 0.3}, "unknown option 'alpha'"),
        ({"method": "sma"}, "option 'column' is required"),
        ({"method": "sma", "column": "nope"}, "column: no column 'nope'"),
        ({"method": "sma", "column": "name"}, "column 'name' is string, not a number"),
        ({"method": "sma", "column": "v", "window": 0}, "window"),
        ({"method": "ses", "column": "v"}, "alpha: required for ses"),
        ({"method": "ewma", "column": "v", "alpha": 2}, "alpha"),
        ({"method": "ses", "column": "v", "alpha": 0.5, "series": "x"}, "series"),
        ({"method": "ewma", "column": "v", "nulls": "drop"}, "nulls must be"),
        ({"method": "holt_winters", "column": "v", "fit": True, "period": 24}, "24"),
    ],
)
def test_smooth_bad_options_name_the_culprit(options: dict[str, Any], message: str) -> None:
    table = pa.table({"v": [1.0, 2.0, 3.0, 4.0], "name": ["a", "b", "c", "d"]})
    with pytest.raises(TransformError, match="transform 'smooth'") as err:
        smooth(table, step("smooth", **options), {})
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "sma", "column": "v", "x": "t"}, "method must be one of ses, holt"),
        ({"method": "ses", "column": "v", "alpha": 0.5}, "option 'x' is required"),
        ({"method": "ses", "column": "v", "x": "name", "alpha": 0.5}, "x column 'name' is string"),
        ({"method": "ses", "column": "v", "x": "t", "alpha": 0.5, "horizon": 0}, "horizon"),
        ({"method": "ses", "column": "v", "x": "t", "alpha": 0.5, "step": "1 hour"}, "step"),
        ({"method": "ses", "column": "v", "x": "d", "alpha": 0.5, "step": "1 hour"}, "finer"),
        ({"method": "ses", "column": "v", "x": "d", "alpha": 0.5, "step": "2 fortnights"}, "unit"),
        ({"method": "ses", "column": "v", "x": "t", "alpha": 0.5, "floor": "0"}, "floor"),
        ({"method": "ses", "column": "gap", "x": "t", "alpha": 0.5}, "(g = 'b')"),
        ({"method": "holt", "column": "v", "x": "t", "alpha": 0.5}, "beta: required"),
    ],
)
def test_forecast_bad_options_name_the_culprit(options: dict[str, Any], message: str) -> None:
    table = pa.table(
        {
            "g": ["a", "a", "b", "b"],
            "t": [1, 2, 3, 4],
            "d": [datetime.date(2025, 1, i) for i in (1, 2, 3, 4)],
            "v": [1.0, 2.0, 3.0, 4.0],
            "gap": [1.0, 2.0, None, 4.0],
            "name": ["a", "b", "c", "d"],
        }
    )
    if "gap" in options.values():
        options = {**options, "group": "g"}
    with pytest.raises(TransformError, match="transform 'forecast'") as err:
        forecast(table, step("forecast", **options), {})
    assert message in str(err.value)


def test_forecast_needs_two_points_to_infer_the_step() -> None:
    table = pa.table({"t": [1], "v": [1.0]})
    with pytest.raises(TransformError, match="cannot infer the spacing"):
        forecast(table, step("forecast", method="ses", column="v", x="t", alpha=0.5), {})


# --- the demo definitions ----------------------------------------------------


def test_catalog_loads_the_timeseries_reports() -> None:
    catalog = Catalog.load([REPORTS])
    assert [str(p) for p in catalog.check()] == []
    workload = catalog.get("report_workload")
    assert [s.kind for s in workload.transform] == ["sql", "smooth", "forecast", "sql"]
    mtbf = catalog.get("machine_mtbf")
    assert [s.kind for s in mtbf.transform] == ["sql", "smooth"]


async def test_report_workload_forecasts_the_queue(tmp_path: Path) -> None:
    db = tmp_path / "reportflow.db"
    # Real jobs through the real SQLite queue, then spread over the last 5 days.
    async with connect(f"sqlite:///{db}") as queue:
        for _ in range(300):
            await queue.enqueue("trial_balance", {})
    last_hour = int(time.time() // 3600) - 1
    rng = np.random.default_rng(5)
    hours = np.arange(last_hour - 5 * 24 + 1, last_hour + 1)
    weights = 1.5 + np.sin(2 * np.pi * hours / 24)
    picked = rng.choice(hours, size=300, p=weights / weights.sum())
    with sqlite3.connect(db) as con:
        ids = [r[0] for r in con.execute("SELECT id FROM reportflow_jobs ORDER BY id")]
        con.executemany(
            "UPDATE reportflow_jobs SET enqueued_at = ? WHERE id = ?",
            [(float(h * 3600 + 60), i) for h, i in zip(picked, ids, strict=True)],
        )
    settings = Settings(home=tmp_path, catalog=[REPORTS])
    store = LocalArtifactStore(tmp_path / "artifacts")
    definition = Catalog.load([REPORTS]).get("report_workload")
    params = bind_parameters(definition, {"days": 5})
    result = await run(definition, settings, store, params)
    assert result.rows == 3 * 5 * 24 - 5 * 24 + 48  # actual + smoothed, plus 48 forecasts
    text = store.path_of("job1/report_workload.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    actual = [float(r["requests"]) for r in rows if r["series"] == "actual"]
    assert len(actual) == 120
    assert sum(actual) == 300  # every job counted once, empty hours are 0
    expected_counts = np.bincount(picked - hours[0], minlength=120)
    np.testing.assert_array_equal(actual, expected_counts)
    smoothed = [float(r["requests"]) for r in rows if r["series"] == "smoothed"]
    np.testing.assert_allclose(smoothed, np.round(ewma(expected_counts, 0.3), 3))
    ahead = [float(r["requests"]) for r in rows if r["series"] == "forecast"]
    best = fit(expected_counts.astype(float), "holt_winters", period=24, seasonal="add")
    np.testing.assert_allclose(ahead, np.round(np.maximum(best.result.forecast(48), 0), 3))
    html = store.path_of("job1/report_workload.html").read_text()
    assert "Report requests per hour" in html
    assert html.count("<polyline") >= 3


def test_holt_winters_forecast_equals_library_call() -> None:
    # The step's fit: false path runs exactly the library call.
    y = seasonal(48)
    table = pa.table({"t": list(range(48)), "v": y})
    out = forecast(
        table,
        step("forecast", method="holt_winters", column="v", x="t", horizon=5, alpha=0.3,
             beta=0.1, gamma=0.2, period=24),
        {},
    )  # fmt: skip
    expected = holt_winters(y, 0.3, 0.1, 0.2, period=24).forecast(5)
    np.testing.assert_allclose(out.column("v").to_numpy()[48:], expected)
