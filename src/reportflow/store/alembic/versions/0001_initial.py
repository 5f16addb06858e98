"""The requestor's first tables: users, tokens, sessions, reports, event log, receipts.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "rf_users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "rf_api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("rf_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_used_at", sa.Float),
        sa.Column("expires_at", sa.Float),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "rf_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("rf_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_table(
        "rf_reports",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("rf_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("report", sa.String(64), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("formats", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="0"),
        sa.Column("phase", sa.Integer, nullable=False, server_default="0"),
        sa.Column("progress", sa.JSON),
        sa.Column("artifacts", sa.JSON),
        sa.Column("error", sa.Text),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("inflight_key", sa.String(255)),
        sa.Column("retry_of", sa.String(40)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.UniqueConstraint("user_id", "inflight_key", name="uq_rf_reports_inflight"),
    )
    op.create_index("ix_rf_reports_user_id", "rf_reports", ["user_id", "id"])
    op.create_index("ix_rf_reports_user_status", "rf_reports", ["user_id", "status"])
    op.create_index("ix_rf_reports_user_created", "rf_reports", ["user_id", "created_at"])
    op.create_table(
        "rf_report_events",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("rf_users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("report_id", sa.String(40), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_table(
        "rf_webhook_receipts",
        sa.Column("webhook_id", sa.String(255), primary_key=True),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("report_id", sa.String(40)),
        sa.Column("outcome", sa.String(16), nullable=False),
    )
    op.create_index("ix_rf_webhook_receipts_received", "rf_webhook_receipts", ["received_at"])


def downgrade() -> None:
    for table in (
        "rf_webhook_receipts",
        "rf_report_events",
        "rf_reports",
        "rf_sessions",
        "rf_api_tokens",
        "rf_users",
    ):
        op.drop_table(table)
