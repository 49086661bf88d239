"""The bureau above the offices: staff accounts of a region (role bureau), and the daily report
each office submits to it (incident yes or no, a note)

Issue 25 (docs/contract.md, "The bureau").

Revision ID: c4b8e1d2f6a7
Revises: c4a8e2d61f07
Create Date: 2026-12-07 04:10:00

"""
from alembic import op
import sqlalchemy as sa

from booking.models import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'c4b8e1d2f6a7'
down_revision = 'c4a8e2d61f07'
branch_labels = None
depends_on = None

ROLES_BEFORE = "role IN ('clerk', 'supervisor', 'admin')"
ROLES = "role IN ('clerk', 'supervisor', 'bureau', 'admin')"
OFFICE_BEFORE = "role = 'admin' OR office_id IS NOT NULL"
OFFICE = "role IN ('admin', 'bureau') OR office_id IS NOT NULL"
REGION = ("(role = 'bureau' AND region_id IS NOT NULL AND office_id IS NULL)"
          " OR (role <> 'bureau' AND region_id IS NULL)")


def upgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_staff_user_region_id_region'), 'region', ['region_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_staff_user_role'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_staff_user_role'), ROLES)
        batch_op.drop_constraint(batch_op.f('ck_staff_user_office_unless_admin'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_staff_user_office_unless_admin'), OFFICE)
        batch_op.create_check_constraint(batch_op.f('ck_staff_user_region_for_bureau'), REGION)

    op.create_table('daily_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('incident', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('submitted_at', UTCDateTime(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_daily_submission_office_id_office')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['staff_user.id'],
                            name=op.f('fk_daily_submission_submitted_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_submission')),
    sa.UniqueConstraint('office_id', 'day', name=op.f('uq_daily_submission_office_id'))
    )


def downgrade():
    # A bureau account has no valid form before this revision; rather than widen or narrow
    # anyone's rights silently, the downgrade stops while one exists.
    bureaus = op.get_bind().execute(sa.text("SELECT count(*) FROM staff_user WHERE role = 'bureau'")).scalar()
    if bureaus:
        raise RuntimeError(f"{bureaus} bureau account(s) exist: they cannot exist before revision "
                           "c4b8e1d2f6a7; remove them first")
    op.drop_table('daily_submission')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_staff_user_region_for_bureau'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_staff_user_office_unless_admin'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_staff_user_office_unless_admin'), OFFICE_BEFORE)
        batch_op.drop_constraint(batch_op.f('ck_staff_user_role'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_staff_user_role'), ROLES_BEFORE)
        batch_op.drop_constraint(batch_op.f('fk_staff_user_region_id_region'), type_='foreignkey')
        batch_op.drop_column('region_id')
