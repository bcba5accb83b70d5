"""schedule templates: BPJS's doctor code, copied into the sessions made from them

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('schedule_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bpjs_doctor_code', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('schedule_templates', schema=None) as batch_op:
        batch_op.drop_column('bpjs_doctor_code')
