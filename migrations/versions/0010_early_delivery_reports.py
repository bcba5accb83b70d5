"""early delivery reports: a report that arrives before its message id is recorded waits for it

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "early_delivery_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gateway_id", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("word", sa.String(length=32), nullable=False),
        sa.Column("failure_reason", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_delivery_reports")),
    )
    with op.batch_alter_table("early_delivery_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_early_delivery_reports_gateway_id"), ["gateway_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_early_delivery_reports_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("early_delivery_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_early_delivery_reports_received_at"))
        batch_op.drop_index(batch_op.f("ix_early_delivery_reports_gateway_id"))

    op.drop_table("early_delivery_reports")
