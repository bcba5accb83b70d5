"""the BPJS card number an SMS booking request waiting for our question carries

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sms_pending_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("bpjs_number", sa.String(length=13), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("sms_pending_requests", schema=None) as batch_op:
        batch_op.drop_column("bpjs_number")
