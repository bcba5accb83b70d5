"""one active schedule template per service, weekday and start time

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'uq_schedule_templates_active_slot',
        'schedule_templates',
        ['service_id', 'weekday', 'start_time'],
        unique=True,
        sqlite_where=sa.text('active'),
        postgresql_where=sa.text('active'),
    )


def downgrade() -> None:
    op.drop_index('uq_schedule_templates_active_slot', table_name='schedule_templates')
