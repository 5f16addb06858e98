"""The requestor's tables, as SQLAlchemy Core metadata.

Alembic migrations (``store/alembic/versions``) create them; this module is
what queries are written against. Times are unix seconds as floats, like the
queue's, so the two can be compared without time-zone conversions.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

users = Table(
    "rf_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255)),
    # The last per-user event sequence number handed out; bumped with
    # UPDATE ... RETURNING inside the appending transaction, whose row lock
    # makes sequence order equal commit order for one user.
    Column("last_seq", BigInteger, nullable=False, default=0),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
)

api_tokens = Table(
    "rf_api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("rf_users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(100), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float),
    Column("expires_at", Float),
    Column("revoked", Boolean, nullable=False, default=False),
)

sessions = Table(
    "rf_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("rf_users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

reports = Table(
    "rf_reports",
    metadata,
    # Also the queue job id; time-ordered hex, so ``ORDER BY id`` is creation order.
    Column("id", String(40), primary_key=True),
    Column("user_id", Integer, ForeignKey("rf_users.id", ondelete="CASCADE"), nullable=False),
    Column("report", String(64), nullable=False),
    Column("params", JSON, nullable=False),
    Column("formats", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False, default=0),
    Column("phase", Integer, nullable=False, default=0),
    Column("progress", JSON),
    Column("artifacts", JSON),
    Column("error", Text),
    Column("request_hash", String(64), nullable=False),
    Column("idempotency_key", String(255)),
    # Equal to idempotency_key while the report is in flight, NULL once it is
    # final: the unique index then only forbids two in-flight twins.
    Column("inflight_key", String(255)),
    Column("retry_of", String(40)),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    UniqueConstraint("user_id", "inflight_key", name="uq_rf_reports_inflight"),
    Index("ix_rf_reports_user_id", "user_id", "id"),
    Index("ix_rf_reports_user_status", "user_id", "status"),
    Index("ix_rf_reports_user_created", "user_id", "created_at"),
    # The reconciler's scan of in-flight reports across users (migration 0002).
    Index("ix_rf_reports_status_id", "status", "id"),
)

report_events = Table(
    "rf_report_events",
    metadata,
    Column("user_id", Integer, ForeignKey("rf_users.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("report_id", String(40), nullable=False),
    Column("type", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", Float, nullable=False),
    Column("data", JSON, nullable=False),
)

webhook_receipts = Table(
    "rf_webhook_receipts",
    metadata,
    Column("webhook_id", String(255), primary_key=True),
    Column("received_at", Float, nullable=False),
    Column("report_id", String(40)),
    Column("outcome", String(16), nullable=False),
    Index("ix_rf_webhook_receipts_received", "received_at"),
)
