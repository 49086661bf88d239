"""staff day: closure reason in English, the closure on its bookings, staff-taken declarations,
walk-in refusals without a booking, the office's counters

Revision ID: 5c1e7d2a9b04
Revises: a1f3c0d9e214
Create Date: 2026-11-30 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e7d2a9b04'
down_revision = 'a1f3c0d9e214'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counters', sa.String(length=400), server_default='',
                                      nullable=False))
    with op.batch_alter_table('closure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_en', sa.String(length=200), server_default='',
                                      nullable=False))
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closure_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_booking_closure_id_closure', 'closure', ['closure_id'], ['id'])
    with op.batch_alter_table('health_declaration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('taken_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_health_declaration_taken_by_id_staff_user', 'staff_user',
                                    ['taken_by_id'], ['id'])
    with op.batch_alter_table('door_refusal', schema=None) as batch_op:
        batch_op.alter_column('booking_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table('door_refusal', schema=None) as batch_op:
        batch_op.alter_column('booking_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('health_declaration', schema=None) as batch_op:
        batch_op.drop_constraint('fk_health_declaration_taken_by_id_staff_user', type_='foreignkey')
        batch_op.drop_column('taken_by_id')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_constraint('fk_booking_closure_id_closure', type_='foreignkey')
        batch_op.drop_column('closure_id')
    with op.batch_alter_table('closure', schema=None) as batch_op:
        batch_op.drop_column('reason_en')
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.drop_column('counters')
