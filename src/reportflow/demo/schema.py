"""The demo warehouse's tables, in portable SQLAlchemy types.

The same metadata creates the tables on SQLite, PostgreSQL and MariaDB: only
``String`` with a length, ``Numeric(14, 2)``, ``Date``, ``DateTime``,
``Integer`` and ``Boolean``.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
)

metadata = MetaData()

gl_accounts = Table(
    "gl_accounts",
    metadata,
    Column("account_id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(10), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("type", String(10), nullable=False),  # asset, liability, equity, revenue, expense
)

gl_periods = Table(
    "gl_periods",
    metadata,
    Column("period_id", String(7), primary_key=True),  # 'YYYY-MM'
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
)

gl_entries = Table(
    "gl_entries",
    metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=False),
    Column("journal_id", Integer, nullable=False, index=True),
    Column("period_id", String(7), ForeignKey("gl_periods.period_id"), nullable=False, index=True),
    Column("account_id", Integer, ForeignKey("gl_accounts.account_id"), nullable=False),
    Column("posted_on", Date, nullable=False),
    Column("debit", Numeric(14, 2), nullable=False),
    Column("credit", Numeric(14, 2), nullable=False),
    Column("memo", String(200), nullable=False),
    # Covering index for per-account totals over a period range (the trial
    # balance): the database aggregates in index order without sorting or
    # touching the table, which is what a reporting warehouse is indexed for.
    Index("ix_gl_entries_account_period", "account_id", "period_id", "debit", "credit"),
)

gages = Table(
    "gages",
    metadata,
    Column("gage_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("type", String(50), nullable=False),
    Column("location", String(50), nullable=False),
    Column("interval_days", Integer, nullable=False),
)

gage_calibrations = Table(
    "gage_calibrations",
    metadata,
    Column("calibration_id", Integer, primary_key=True, autoincrement=False),
    Column("gage_id", Integer, ForeignKey("gages.gage_id"), nullable=False, index=True),
    Column("calibrated_on", Date, nullable=False),
    Column("result", String(4), nullable=False),  # pass, fail
    Column("technician", String(50), nullable=False),
)

machines = Table(
    "machines",
    metadata,
    Column("machine_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(50), nullable=False),
    Column("line", String(20), nullable=False),
)

machine_downtime = Table(
    "machine_downtime",
    metadata,
    Column("downtime_id", Integer, primary_key=True, autoincrement=False),
    Column("machine_id", Integer, ForeignKey("machines.machine_id"), nullable=False, index=True),
    Column("started_at", DateTime, nullable=False),
    Column("ended_at", DateTime, nullable=False),
    Column("reason", String(50), nullable=False),
    Column("is_failure", Boolean, nullable=False),
)
