"""the reference data's version, moved by triggers on office, service, opening_hours, closure

Revision ID: 7f3a9c2e5b18
Revises: e9d5b1f31f93
Create Date: 2026-12-01 02:00:00

"""
from alembic import op
import sqlalchemy as sa

from booking.models.reference import REFERENCE_TABLES, postgresql_ddl, sqlite_ddl


# revision identifiers, used by Alembic.
revision = '7f3a9c2e5b18'
down_revision = 'e9d5b1f31f93'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reference_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    ddl = postgresql_ddl() if op.get_bind().dialect.name == 'postgresql' else sqlite_ddl()
    for sql in ddl:
        op.execute(sql)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in REFERENCE_TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_moves_reference_version ON {table}')
        op.execute('DROP FUNCTION IF EXISTS bump_reference_version()')
    else:
        for table in REFERENCE_TABLES:
            for change in ('insert', 'update', 'delete'):
                op.execute(f'DROP TRIGGER IF EXISTS {table}_{change}_moves_reference_version')
    op.drop_table('reference_version')
