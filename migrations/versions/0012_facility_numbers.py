"""a facility's own numbers, and the route an outbox SMS leaves by

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('facility_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('gateway', sa.String(length=24), nullable=True),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_facility_numbers_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_numbers')),
    sa.UniqueConstraint('number', name=op.f('uq_facility_numbers_number'))
    )
    with op.batch_alter_table('facility_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_numbers_facility_id'), ['facility_id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('route_gateway', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('route_number', sa.String(length=32), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('route_number')
        batch_op.drop_column('route_gateway')

    with op.batch_alter_table('facility_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_numbers_facility_id'))

    op.drop_table('facility_numbers')
