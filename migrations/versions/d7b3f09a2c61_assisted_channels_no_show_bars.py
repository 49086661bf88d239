"""every channel: bookings a clerk takes on the telephone or at the counter (sources phone and
counter), and the lifting of a person's no-show bar

Revision ID: d7b3f09a2c61
Revises: c4b8e1d2f6a7
Create Date: 2026-12-07 04:45:00

"""
from alembic import op
import sqlalchemy as sa

import booking.models


# revision identifiers, used by Alembic.
revision = 'd7b3f09a2c61'
down_revision = 'c4b8e1d2f6a7'
branch_labels = None
depends_on = None

OLD_SOURCES = "source IN ('web', 'api', 'walk_in')"
NEW_SOURCES = "source IN ('web', 'api', 'walk_in', 'phone', 'counter')"


def upgrade():
    with op.batch_alter_table('booking') as batch:
        batch.drop_constraint(op.f('ck_booking_source'), type_='check')
        batch.create_check_constraint(op.f('ck_booking_source'), NEW_SOURCES)
    op.create_table('bar_lifted',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('lifted_at', booking.models.UTCDateTime(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_bar_lifted_service_id_service')),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_bar_lifted_staff_user_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bar_lifted'))
    )
    op.create_index('ix_bar_lifted_person', 'bar_lifted', ['service_id', 'id_hash', 'lifted_at'], unique=False)


def downgrade():
    op.drop_index('ix_bar_lifted_person', table_name='bar_lifted')
    op.drop_table('bar_lifted')
    with op.batch_alter_table('booking') as batch:
        batch.drop_constraint(op.f('ck_booking_source'), type_='check')
        batch.create_check_constraint(op.f('ck_booking_source'), OLD_SOURCES)
