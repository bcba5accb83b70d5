"""numbers unique per service per day: one counter for every session of a service's day

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    twins = op.get_bind().execute(sa.text(
        "SELECT service_id, day, number FROM bookings"
        " GROUP BY service_id, day, number HAVING COUNT(*) > 1 LIMIT 5"
    )).all()
    if twins:
        # Patients already hold these numbers (by SMS): renumbering them here would tell them
        # nothing. The operator decides; the constraint below would fail anyway.
        raise RuntimeError(
            "two sessions of one service gave the same number on one day (service, day, "
            f"number): {[tuple(map(str, row)) for row in twins]}; renumber them, then upgrade"
        )
    op.create_table('service_days',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_days_service_id_services')),
    sa.PrimaryKeyConstraint('service_id', 'day', name=op.f('pk_service_days'))
    )
    # Each day goes on from the highest number any of its sessions gave.
    op.execute(
        "INSERT INTO service_days (service_id, day, last_number)"
        " SELECT service_id, day, MAX(last_number) FROM clinic_sessions"
        " GROUP BY service_id, day HAVING MAX(last_number) > 0"
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_bookings_session_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_bookings_service_id'), ['service_id', 'day', 'number'])


def downgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_bookings_service_id'), type_='unique')
        batch_op.create_unique_constraint('uq_bookings_session_id', ['session_id', 'number'])
    op.drop_table('service_days')
