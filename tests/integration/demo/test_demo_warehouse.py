"""The demo warehouse on SQLite, PostgreSQL and MariaDB, checked with real numbers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from demo_sql import run_demo_sql

from reportflow.catalog import Catalog, bind_parameters
from reportflow.demo import build_warehouse
from reportflow.demo.warehouse import engine_url
from reportflow.errors import ConfigError

pytestmark = pytest.mark.integration

ROWS = 3_001  # odd on purpose: the last journal must still balance
CENT = Decimal("0.01")


def cents(value: Any) -> Decimal:
    """An amount as an exact two-place decimal (SQLite hands back floats)."""
    return Decimal(str(value)).quantize(CENT)


def fetch(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(engine_url(url))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def execute(url: str, *statements: tuple[str, list[dict[str, Any]] | None]) -> None:
    engine = sa.create_engine(engine_url(url))
    try:
        with engine.begin() as conn:
            for sql, rows in statements:
                conn.execute(sa.text(sql), rows or {})
    finally:
        engine.dispose()


def test_build_counts_and_balanced_journals(warehouse_url: str) -> None:
    seen: list[tuple[str, int]] = []
    counts = build_warehouse(
        warehouse_url, ROWS, progress=lambda table, done, _: seen.append((table, done))
    )
    assert counts["gl_entries"] == ROWS
    assert ("gl_entries", ROWS) in seen
    for table, count in counts.items():
        assert fetch(warehouse_url, f"SELECT COUNT(*) FROM {table}") == [(count,)]
    rows = fetch(warehouse_url, "SELECT journal_id, debit, credit FROM gl_entries")
    journals: dict[int, Decimal] = {}
    for journal_id, debit, credit in rows:
        debit, credit = cents(debit), cents(credit)
        assert (debit == 0) != (credit == 0), "a line is either a debit or a credit"
        journals[journal_id] = journals.get(journal_id, Decimal(0)) + debit - credit
    assert len(journals) > ROWS // 7
    assert set(journals.values()) == {Decimal("0.00")}


def test_trial_balance_nets_to_exactly_zero(warehouse_url: str, demo_catalog: Catalog) -> None:
    build_warehouse(warehouse_url, ROWS)
    definition = demo_catalog.get("trial_balance")
    result = run_demo_sql(definition, warehouse_url, bind_parameters(definition, {}))
    assert [r["code"] for r in result] == sorted(r["code"] for r in result)
    assert all(isinstance(r["net"], Decimal) for r in result)
    assert sum(r["net"] for r in result) == 0
    for row in result:
        assert row["net"] == row["debits"] - row["credits"]
    [(debits,)] = fetch(warehouse_url, "SELECT SUM(ROUND(debit * 100)) FROM gl_entries")
    assert sum(r["debits"] for r in result) == Decimal(int(debits)) * CENT

    # A narrower range is a different, still balanced, set of journals.
    params = bind_parameters(definition, {"period_from": "2025-03", "period_to": "2025-03"})
    march = run_demo_sql(definition, warehouse_url, params)
    [(lines,)] = fetch(warehouse_url, "SELECT COUNT(*) FROM gl_entries WHERE period_id = '2025-03'")
    assert lines > 0
    assert sum(r["net"] for r in march) == 0
    assert sum(r["debits"] for r in march) < sum(r["debits"] for r in result)


def test_same_seed_same_data_on_every_database(warehouse_url: str, tmp_path: Any) -> None:
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    build_warehouse(reference, 500, seed=7)
    build_warehouse(warehouse_url, 500, seed=7)
    sql = "SELECT entry_id, journal_id, period_id, account_id, posted_on, debit, credit, memo "
    sql += "FROM gl_entries ORDER BY entry_id"

    def normalized(url: str) -> list[tuple[Any, ...]]:
        return [(*r[:4], str(r[4])[:10], cents(r[5]), cents(r[6]), r[7]) for r in fetch(url, sql)]

    assert normalized(warehouse_url) == normalized(reference)
    stops = "SELECT machine_id, started_at, ended_at, reason FROM machine_downtime ORDER BY 1, 2"
    assert [(r[0], str(r[1])[:19], r[3]) for r in fetch(warehouse_url, stops)] == [
        (r[0], str(r[1])[:19], r[3]) for r in fetch(reference, stops)
    ]


def test_different_seed_different_data(tmp_path: Any) -> None:
    a, b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    build_warehouse(a, 100, seed=1)
    build_warehouse(b, 100, seed=2)
    sql = "SELECT debit, credit FROM gl_entries ORDER BY entry_id"
    assert fetch(a, sql) != fetch(b, sql)


def test_rebuild_replaces_the_tables(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    build_warehouse(url, 100)
    build_warehouse(url, 40)
    assert fetch(url, "SELECT COUNT(*) FROM gl_entries") == [(40,)]


def test_bad_arguments_are_config_errors(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match=r"rows must be at least 2"):
        build_warehouse(f"sqlite:///{tmp_path / 'w.db'}", 1)
    with pytest.raises(ConfigError, match=r"cannot build the demo warehouse at postgresql"):
        build_warehouse("postgresql://nobody@127.0.0.1:1/none", 10)


HAND_STOPS = [
    # machine 1, January: two failures (2 h + 4 h) and one planned stop (1 h)
    (1, datetime(2025, 1, 5, 10), datetime(2025, 1, 5, 12), "Jam", True),
    (1, datetime(2025, 1, 10, 8), datetime(2025, 1, 10, 9), "Changeover", False),
    (1, datetime(2025, 1, 20, 0), datetime(2025, 1, 20, 4), "Hydraulic leak", True),
    # machine 1, February: one failure of 30 min
    (1, datetime(2025, 2, 14, 6), datetime(2025, 2, 14, 6, 30), "Jam", True),
    # outside the range asked for: must not count
    (1, datetime(2025, 3, 3, 6), datetime(2025, 3, 3, 7), "Jam", True),
]


def test_machine_mtbf_on_a_hand_made_case(warehouse_url: str, demo_catalog: Catalog) -> None:
    build_warehouse(warehouse_url, 2)
    execute(
        warehouse_url,
        ("DELETE FROM machine_downtime", None),
        ("DELETE FROM machines", None),
        (
            "INSERT INTO machines (machine_id, name, line) VALUES (:id, :name, :line)",
            [{"id": 1, "name": "Press-1", "line": "A"}, {"id": 2, "name": "Idle-2", "line": "B"}],
        ),
        (
            "INSERT INTO machine_downtime (downtime_id, machine_id, started_at, ended_at, reason,"
            " is_failure) VALUES (:id, :m, :s, :e, :r, :f)",
            [
                {"id": i, "m": m, "s": s, "e": e, "r": r, "f": f}
                for i, (m, s, e, r, f) in enumerate(HAND_STOPS, 1)
            ],
        ),
    )
    definition = demo_catalog.get("machine_mtbf")
    params = bind_parameters(
        definition, {"date_from": "2025-01-01", "date_to": "2025-03-01", "ma_months": "2"}
    )
    rows = run_demo_sql(definition, warehouse_url, params)
    got = {(r["machine"], r["month"]): r for r in rows}
    assert sorted(got) == [
        ("Idle-2", "2025-01"),
        ("Idle-2", "2025-02"),
        ("Press-1", "2025-01"),
        ("Press-1", "2025-02"),
    ]
    jan, feb = got["Press-1", "2025-01"], got["Press-1", "2025-02"]
    # January: 31 * 24 = 744 h, 7 h stopped, 2 failures, 6 h of repairs.
    assert (jan["uptime_hours"], jan["failures"]) == (737.0, 2)
    assert (jan["mtbf_hours"], jan["mttr_hours"], jan["mtbf_ma"]) == (368.5, 3.0, 368.5)
    # February: 28 * 24 = 672 h, 0.5 h stopped, 1 failure.
    assert (feb["uptime_hours"], feb["failures"]) == (671.5, 1)
    assert (feb["mtbf_hours"], feb["mttr_hours"]) == (671.5, 0.5)
    assert feb["mtbf_ma"] == (368.5 + 671.5) / 2
    idle = got["Idle-2", "2025-01"]
    assert (idle["uptime_hours"], idle["failures"], idle["mtbf_hours"]) == (744.0, 0, None)
    assert idle["line"] == "B"


def test_gage_calibration_due_matches_a_direct_count(
    warehouse_url: str, demo_catalog: Catalog
) -> None:
    build_warehouse(warehouse_url, 2)
    as_of = date(2026, 6, 1)
    definition = demo_catalog.get("gage_calibration_due")
    params = bind_parameters(definition, {"within_days": "45", "as_of": as_of.isoformat()})
    rows = run_demo_sql(definition, warehouse_url, params)

    last: dict[int, tuple[date, int]] = {}
    sql = "SELECT g.gage_id, c.calibrated_on, g.interval_days FROM gages g "
    sql += "JOIN gage_calibrations c ON c.gage_id = g.gage_id"
    for gage_id, calibrated_on, interval in fetch(warehouse_url, sql):
        on = date.fromisoformat(str(calibrated_on)[:10])
        if gage_id not in last or on > last[gage_id][0]:
            last[gage_id] = (on, interval)
    expected = {}
    for gage_id, (on, interval) in last.items():
        due = date.fromordinal(on.toordinal() + interval)
        if (due - as_of).days <= 45:
            expected[gage_id] = due
    assert 0 < len(expected) < len(last)
    assert {r["gage_id"]: r["due_on"] for r in rows} == expected
    for row in rows:
        delta = (row["due_on"] - as_of).days
        assert row["days_overdue"] == max(-delta, 0)
        assert row["days_left"] == max(delta, 0)
    overdue = [r["days_overdue"] for r in rows if r["days_overdue"] > 0]
    assert overdue == sorted(overdue, reverse=True)  # the most overdue first
