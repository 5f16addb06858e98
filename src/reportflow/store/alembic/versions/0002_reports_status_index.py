"""An index for the reconciler's scan of in-flight reports of every user.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_rf_reports_status_id", "rf_reports", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_rf_reports_status_id", table_name="rf_reports")
