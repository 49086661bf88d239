"""booking: the arrival window each booking is given within its slot

A service's `arrival_windows` (migration 0fe2c28c5437) splits its slots into equal windows;
each booking keeps the one it was given (`arrive_from`, `arrive_until`, UTC), so a later change
of the setting never moves a window already texted. Both stay NULL for a whole-slot booking.

Revision ID: c4a7e2f19b63
Revises: d7b3f09a2c61
Create Date: 2026-12-07 04:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4a7e2f19b63'
down_revision = 'd7b3f09a2c61'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arrive_from', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('arrive_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_column('arrive_until')
        batch_op.drop_column('arrive_from')
