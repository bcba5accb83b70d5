"""a facility's rooms and counters, one per line: staff call a number to one of them

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rooms', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_column('rooms')
