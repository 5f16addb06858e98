"""Deterministic rows for the demo warehouse.

Every table draws from its own ``random.Random`` seeded with ``"{seed}:{table}"``,
so the same seed gives byte-identical data, and scaling ``gl_entries`` does not
change gages or machines. Money is generated in whole cents and turned into
two-place ``Decimal``s, and each journal's credits are cut from the exact sum
of its debits, so every journal, and the whole ledger, balances to the cent.
Generators yield one row at a time: memory stays flat however many rows.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

Row = dict[str, Any]

FIRST_PERIOD = date(2025, 1, 1)
PERIOD_COUNT = 24  # 2025-01 .. 2026-12
DOWNTIME_FROM = datetime(2025, 1, 1)
DOWNTIME_UNTIL = datetime(2027, 1, 1)
CALIBRATIONS_UNTIL = date(2026, 11, 30)
GAGE_COUNT = 80
ZERO = Decimal("0.00")

ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("1000", "Cash", "asset"),
    ("1100", "Accounts receivable", "asset"),
    ("1200", "Raw materials inventory", "asset"),
    ("1210", "Work in process", "asset"),
    ("1220", "Finished goods", "asset"),
    ("1500", "Machinery and equipment", "asset"),
    ("1590", "Accumulated depreciation", "asset"),
    ("2000", "Accounts payable", "liability"),
    ("2100", "Accrued wages", "liability"),
    ("2200", "Sales tax payable", "liability"),
    ("2500", "Long-term debt", "liability"),
    ("3000", "Share capital", "equity"),
    ("3100", "Retained earnings", "equity"),
    ("4000", "Product sales", "revenue"),
    ("4100", "Service revenue", "revenue"),
    ("4900", "Other income", "revenue"),
    ("5000", "Cost of goods sold", "expense"),
    ("5100", "Direct labour", "expense"),
    ("5200", "Manufacturing overhead", "expense"),
    ("5300", "Maintenance and repairs", "expense"),
    ("6000", "Salaries", "expense"),
    ("6100", "Rent", "expense"),
    ("6200", "Utilities", "expense"),
    ("6300", "Depreciation", "expense"),
    ("6400", "Calibration services", "expense"),
    ("6900", "Bank charges", "expense"),
)
MEMOS = (
    "Customer invoice",
    "Supplier invoice",
    "Payroll run",
    "Material issue to production",
    "Production receipt",
    "Monthly depreciation",
    "Customer payment",
    "Supplier payment",
    "Accrual",
    "Reclassification",
)
GAGE_TYPES = ("Caliper", "Micrometer", "Height gage", "Pin gage", "Thread gage", "Torque wrench")
LOCATIONS = ("Tool crib", "Line A", "Line B", "Line C", "Quality lab", "Receiving")
TECHNICIANS = ("A. Moreno", "B. Chen", "C. Okafor", "D. Schmidt", "E. Tanaka")
INTERVALS = (90, 180, 365)
LINES = ("Line A", "Line B", "Line C")
FAILURES = ("Bearing failure", "Hydraulic leak", "Electrical fault", "Jam", "Sensor fault")
PLANNED = ("Preventive maintenance", "Changeover", "Material shortage")


def _rng(seed: int, table: str) -> random.Random:
    return random.Random(f"{seed}:{table}")


def _month_start(index: int) -> date:
    year, month = divmod(FIRST_PERIOD.month - 1 + index, 12)
    return date(FIRST_PERIOD.year + year, month + 1, 1)


def periods() -> list[Row]:
    out: list[Row] = []
    for index in range(PERIOD_COUNT):
        start = _month_start(index)
        out.append(
            {
                "period_id": start.strftime("%Y-%m"),
                "start_date": start,
                "end_date": _month_start(index + 1) - timedelta(days=1),
            }
        )
    return out


def accounts() -> list[Row]:
    return [
        {"account_id": i + 1, "code": code, "name": name, "type": kind}
        for i, (code, name, kind) in enumerate(ACCOUNTS)
    ]


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` cents cut into ``parts`` positive amounts that sum to it exactly."""
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    bounds = [0, *cuts, total]
    return [b - a for a, b in pairwise(bounds)]


def _journal_size(rng: random.Random, remaining: int) -> int:
    size = min(rng.randint(2, 6), remaining)
    if remaining - size == 1:  # never leave a single line: it could not balance
        size += 1
    return size


def gl_entries(rows: int, seed: int) -> Iterator[Row]:
    """``rows`` ledger lines (rows ≥ 2) in balanced journals of 2 to 7 lines."""
    rng = _rng(seed, "gl_entries")
    period_rows = periods()
    account_ids = [a["account_id"] for a in accounts()]
    entry_id = journal_id = 0
    remaining = rows
    while remaining > 0:
        size = _journal_size(rng, remaining)
        remaining -= size
        journal_id += 1
        period = rng.choice(period_rows)
        days = (period["end_date"] - period["start_date"]).days + 1
        posted_on = period["start_date"] + timedelta(days=rng.randrange(days))
        memo = f"{rng.choice(MEMOS)} J{journal_id:07d}"
        debit_lines = rng.randint(1, size - 1)
        debits = [rng.randint(100, 2_500_000) for _ in range(debit_lines)]
        credits = _split(rng, sum(debits), size - debit_lines)
        amounts = [(cents, 0) for cents in debits] + [(0, cents) for cents in credits]
        for debit, credit in amounts:
            entry_id += 1
            yield {
                "entry_id": entry_id,
                "journal_id": journal_id,
                "period_id": period["period_id"],
                "account_id": rng.choice(account_ids),
                "posted_on": posted_on,
                "debit": Decimal(debit).scaleb(-2) if debit else ZERO,
                "credit": Decimal(credit).scaleb(-2) if credit else ZERO,
                "memo": memo,
            }


def gages(seed: int) -> list[Row]:
    rng = _rng(seed, "gages")
    out: list[Row] = []
    for gage_id in range(1, GAGE_COUNT + 1):
        kind = rng.choice(GAGE_TYPES)
        out.append(
            {
                "gage_id": gage_id,
                "name": f"{kind} G-{gage_id:04d}",
                "type": kind,
                "location": rng.choice(LOCATIONS),
                "interval_days": rng.choice(INTERVALS),
            }
        )
    return out


def gage_calibrations(seed: int) -> Iterator[Row]:
    """Calibrations every ``interval_days`` (± a week), some gages falling behind."""
    rng = _rng(seed, "gage_calibrations")
    calibration_id = 0
    for gage in gages(seed):
        interval = gage["interval_days"]
        # Spread the first calibration so due dates do not all fall together.
        on = FIRST_PERIOD - timedelta(days=rng.randrange(interval))
        # About one gage in five stops being calibrated some time back: overdue.
        until = CALIBRATIONS_UNTIL - timedelta(days=rng.choice([0, 0, 0, 0, interval * 2]))
        while on <= until:
            calibration_id += 1
            yield {
                "calibration_id": calibration_id,
                "gage_id": gage["gage_id"],
                "calibrated_on": on,
                "result": "fail" if rng.random() < 0.05 else "pass",
                "technician": rng.choice(TECHNICIANS),
            }
            on += timedelta(days=interval + rng.randint(-7, 7))


def machines() -> list[Row]:
    return [
        {"machine_id": i + 1, "name": f"{kind}-{(i // 3) + 1:02d}", "line": LINES[i % 3]}
        for i, kind in enumerate(["CNC", "Press", "Lathe"] * 4)
    ]


def machine_downtime(seed: int) -> Iterator[Row]:
    """Non-overlapping stops per machine, to the minute; failures and planned stops."""
    rng = _rng(seed, "machine_downtime")
    downtime_id = 0
    for machine in machines():
        mean_gap_hours = rng.choice([48, 96, 168])
        at = DOWNTIME_FROM
        while True:
            at += timedelta(minutes=round(rng.expovariate(1 / mean_gap_hours) * 60) + 1)
            failure = rng.random() < 0.6
            minutes = rng.randint(30, 480) if failure else rng.randint(60, 240)
            ended = at + timedelta(minutes=minutes)
            if ended >= DOWNTIME_UNTIL:
                break
            downtime_id += 1
            yield {
                "downtime_id": downtime_id,
                "machine_id": machine["machine_id"],
                "started_at": at,
                "ended_at": ended,
                "reason": rng.choice(FAILURES if failure else PLANNED),
                "is_failure": failure,
            }
            at = ended
