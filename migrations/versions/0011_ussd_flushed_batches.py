"""batches of USSD drop-off records written from Redis, and an id per record, so that each is
written once

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ussd_flushed_batches',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('flushed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ussd_flushed_batches'))
    )
    with op.batch_alter_table('ussd_flushed_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ussd_flushed_batches_flushed_at'), ['flushed_at'], unique=False)

    with op.batch_alter_table('ussd_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_id', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_ussd_steps_record_id'), ['record_id'])


def downgrade() -> None:
    with op.batch_alter_table('ussd_steps', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_ussd_steps_record_id'), type_='unique')
        batch_op.drop_column('record_id')

    with op.batch_alter_table('ussd_flushed_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ussd_flushed_batches_flushed_at'))

    op.drop_table('ussd_flushed_batches')
