"""session generations, feed tokens, booking retention

Revision ID: 5e1c0a9d2b47
Revises: 36bcf46c7fa9
Create Date: 2026-11-30 23:00:00

- staff_user.session_generation: logout, deactivation and a password change raise it, which
  ends every session made before (issue 15).
- api_token.scope: "api" (the staff API) or "feed" (the read-only calendar feed only).
- booking.personal_purged_at: when `retention purge` removed the booking's personal data.
"""
from alembic import op
import sqlalchemy as sa

import booking.models


revision = '5e1c0a9d2b47'
down_revision = '36bcf46c7fa9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=8), server_default='api',
                                      nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_api_token_scope'),
                                         "scope IN ('api', 'feed')")
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personal_purged_at', booking.models.UTCDateTime(),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_column('personal_purged_at')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_api_token_scope'), type_='check')
        batch_op.drop_column('scope')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
