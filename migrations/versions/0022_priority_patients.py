"""priority patients: a booking's priority, the facility's rule for calling them, and the
count of other calls since the last priority one per session

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority_rule', sa.Enum('first', 'every_nth', name='priorityrule', native_enum=False, length=24), server_default='first', nullable=False))
        batch_op.add_column(sa.Column('priority_every', sa.Integer(), server_default='3', nullable=False))
    with op.batch_alter_table('clinic_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calls_since_priority', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Enum('elderly', 'pregnant', 'disabled', name='priority', native_enum=False, length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('priority')
    with op.batch_alter_table('clinic_sessions', schema=None) as batch_op:
        batch_op.drop_column('calls_since_priority')
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_column('priority_every')
        batch_op.drop_column('priority_rule')
