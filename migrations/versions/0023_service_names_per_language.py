"""a service's names per language as rows (service_names), not a column per language

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('service_names',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_names_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'language', name=op.f('pk_service_names'))
    )
    for language in ('id', 'en'):
        op.execute(
            f"INSERT INTO service_names (service_id, language, name) "
            f"SELECT id, '{language}', name_{language} FROM services"
        )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('name_en')
        batch_op.drop_column('name_id')


def downgrade() -> None:
    # Back to the two columns: names in any other language are dropped with the table.
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('name_en', sa.String(length=40), nullable=True))
    for language in ('id', 'en'):
        op.execute(
            f"UPDATE services SET name_{language} = (SELECT name FROM service_names "
            f"WHERE service_names.service_id = services.id "
            f"AND service_names.language = '{language}')"
        )
    # A service without a name in one of them shows the other, or its code.
    op.execute("UPDATE services SET name_id = COALESCE(name_id, name_en, code)")
    op.execute("UPDATE services SET name_en = COALESCE(name_en, name_id)")
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.alter_column('name_id', existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column('name_en', existing_type=sa.String(length=40), nullable=False)
    op.drop_table('service_names')
