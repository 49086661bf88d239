"""sms: texts stored as kind + parameters with their route; no secret at rest

The outbox keeps the kind's non-secret parameters (JSON), an optional sealed secret and the
route that sent it; `body` becomes nullable (only rows queued before this change carry one),
and the bodies of texts already final are erased: they held manage links and codes in clear.
An inbound reply keeps the kind of its answer instead of the answer's text.

Revision ID: a1f3c0d9e214
Revises: 5e1d2c7a9b40
Create Date: 2026-11-30 23:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a1f3c0d9e214'
down_revision = '5e1d2c7a9b40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.Text(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('sealed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('route', sa.String(length=12), nullable=True))
        batch_op.alter_column('body', existing_type=sa.Text(), nullable=True)
        batch_op.alter_column('error_code', existing_type=sa.String(length=16),
                              type_=sa.String(length=40))
    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.alter_column('params', server_default=None)
    op.execute("UPDATE sms_message SET body = NULL WHERE status NOT IN ('pending', 'sending')")
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_kind', sa.String(length=24), nullable=False,
                                      server_default=''))
        batch_op.drop_column('reply')
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.alter_column('reply_kind', server_default=None)


def downgrade():
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply', sa.String(length=400), nullable=False,
                                      server_default=''))
        batch_op.drop_column('reply_kind')
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.alter_column('reply', server_default=None)
    op.execute("UPDATE sms_message SET body = '' WHERE body IS NULL")
    op.execute("UPDATE sms_message SET error_code = substr(error_code, 1, 16)")
    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.alter_column('body', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('error_code', existing_type=sa.String(length=40),
                              type_=sa.String(length=16))
        batch_op.drop_column('route')
        batch_op.drop_column('sealed')
        batch_op.drop_column('params')
