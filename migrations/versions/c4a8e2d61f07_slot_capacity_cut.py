"""a slot's capacity cut: the limit the place-taking statement enforces while bookings above it remain

Revision ID: c4a8e2d61f07
Revises: 0fe2c28c5437
Create Date: 2026-12-07 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a8e2d61f07'
down_revision = '0fe2c28c5437'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('slot') as batch:
        batch.add_column(sa.Column('cut_bookings', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('cut_people', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('slot') as batch:
        batch.drop_column('cut_people')
        batch.drop_column('cut_bookings')
