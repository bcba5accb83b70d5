"""an SMS booking request waiting for the answer to our one question

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sms_pending_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('asked', sa.String(length=10), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('service', sa.String(length=24), nullable=False),
    sa.Column('day', sa.String(length=24), nullable=False),
    sa.Column('unclear', sa.String(length=120), nullable=False),
    sa.Column('for_name', sa.String(length=30), nullable=False),
    sa.Column('choices', sa.String(length=240), nullable=False),
    sa.Column('question', sa.String(length=160), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_sms_pending_requests_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_pending_requests')),
    sa.UniqueConstraint('phone', name=op.f('uq_sms_pending_requests_phone'))
    )
    with op.batch_alter_table('sms_pending_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_pending_requests_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sms_pending_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_pending_requests_created_at'))

    op.drop_table('sms_pending_requests')
