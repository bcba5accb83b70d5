"""bpjs calls and the doctor code of a session

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bpjs_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=32), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('code', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_bpjs_calls_booking_id_bookings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bpjs_calls'))
    )
    with op.batch_alter_table('bpjs_calls', schema=None) as batch_op:
        batch_op.create_index('ix_bpjs_calls_booking_status', ['booking_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_bpjs_calls_status'), ['status'], unique=False)

    with op.batch_alter_table('clinic_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bpjs_doctor_code', sa.String(length=16), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('clinic_sessions', schema=None) as batch_op:
        batch_op.drop_column('bpjs_doctor_code')

    with op.batch_alter_table('bpjs_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bpjs_calls_status'))
        batch_op.drop_index('ix_bpjs_calls_booking_status')

    op.drop_table('bpjs_calls')
