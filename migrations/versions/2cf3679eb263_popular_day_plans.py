"""popular-day plans: one row applied and undone as one; a slot's own assisted reserve

Revision ID: 2cf3679eb263
Revises: c4a7e2f19b63
Create Date: 2026-12-07 06:31:07.610895

"""
from alembic import op
import sqlalchemy as sa

from booking.models import UTCDateTime


# revision identifiers, used by Alembic.
revision = '2cf3679eb263'
down_revision = 'c4a7e2f19b63'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('popular_day_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('services', sa.String(length=400), nullable=False),
    sa.Column('capacity_percent', sa.Integer(), nullable=False),
    sa.Column('assisted_reserve', sa.Integer(), nullable=True),
    sa.Column('holdback_minutes', sa.Integer(), nullable=False),
    sa.Column('proof_of_work', sa.Boolean(), nullable=False),
    sa.Column('extra_hours', sa.String(length=400), nullable=False),
    sa.Column('reason_zh', sa.String(length=200), nullable=False),
    sa.Column('reason_zh_hant', sa.String(length=200), nullable=False),
    sa.Column('reason_en', sa.String(length=200), nullable=False),
    sa.Column('applied_at', UTCDateTime(), nullable=False),
    sa.Column('applied_by_id', sa.Integer(), nullable=False),
    sa.Column('undone_at', UTCDateTime(), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('assisted_reserve IS NULL OR assisted_reserve >= 0', name=op.f('ck_popular_day_plan_assisted_reserve')),
    sa.CheckConstraint('capacity_percent BETWEEN 1 AND 100', name=op.f('ck_popular_day_plan_capacity_percent')),
    sa.CheckConstraint('holdback_minutes BETWEEN 0 AND 1440', name=op.f('ck_popular_day_plan_holdback_minutes')),
    sa.ForeignKeyConstraint(['applied_by_id'], ['staff_user.id'], name=op.f('fk_popular_day_plan_applied_by_id_staff_user')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_popular_day_plan_office_id_office')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['staff_user.id'], name=op.f('fk_popular_day_plan_undone_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_popular_day_plan'))
    )
    with op.batch_alter_table('popular_day_plan', schema=None) as batch_op:
        batch_op.create_index('uq_popular_day_plan_in_force', ['office_id', 'day'], unique=True, sqlite_where=sa.text('undone_at IS NULL'), postgresql_where=sa.text('undone_at IS NULL'))

    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assisted_reserve', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.drop_column('assisted_reserve')

    with op.batch_alter_table('popular_day_plan', schema=None) as batch_op:
        batch_op.drop_index('uq_popular_day_plan_in_force', sqlite_where=sa.text('undone_at IS NULL'), postgresql_where=sa.text('undone_at IS NULL'))

    op.drop_table('popular_day_plan')
