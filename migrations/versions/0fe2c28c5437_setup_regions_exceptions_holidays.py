"""Offices set up as data: regions, dated hours exceptions, holiday corrections, Traditional
Chinese beside what staff type, and the service settings of the setup file (assisted reserve,
no-show rule, arrival windows)

Issue 24 (docs/contract.md, "Setting up offices").

Revision ID: 0fe2c28c5437
Revises: 7f3a9c2e5b18
Create Date: 2026-12-07 03:34:23.714435

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0fe2c28c5437'
down_revision = '7f3a9c2e5b18'
branch_labels = None
depends_on = None


LIVE = sa.text("status <> 'removed'")


def upgrade():
    # A slot that no longer fits the hours is removed, kept for its bookings' history: one live
    # slot per start replaces one slot per start.
    with op.batch_alter_table('slot') as batch_op:
        batch_op.drop_constraint(op.f('uq_slot_service_id'), type_='unique')
        batch_op.drop_constraint(op.f('ck_slot_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_slot_status'), "status IN ('open', 'closed', 'removed')")
    op.create_index('uq_slot_service_starts_live', 'slot', ['service_id', 'starts_at'], unique=True,
                    sqlite_where=LIVE, postgresql_where=LIVE)

    op.create_table('holiday_date',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_holiday_date'))
    )
    with op.batch_alter_table('holiday_date', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holiday_date_year'), ['year'], unique=False)

    op.create_table('region',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_zh_hant', sa.String(length=120), server_default='', nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['region.id'], name=op.f('fk_region_parent_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_region')),
    sa.UniqueConstraint('code', name=op.f('uq_region_code'))
    )
    op.create_table('hours_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('services', sa.String(length=400), server_default='', nullable=False),
    sa.Column('hours', sa.String(length=400), server_default='', nullable=False),
    sa.Column('reason_zh', sa.String(length=200), server_default='', nullable=False),
    sa.Column('reason_zh_hant', sa.String(length=200), server_default='', nullable=False),
    sa.Column('reason_en', sa.String(length=200), server_default='', nullable=False),
    sa.CheckConstraint('first_day <= last_day', name=op.f('ck_hours_exception_first_before_last')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_hours_exception_office_id_office')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hours_exception'))
    )
    with op.batch_alter_table('hours_exception', schema=None) as batch_op:
        batch_op.create_index('ix_hours_exception_office_days', ['office_id', 'first_day', 'last_day'], unique=False)

    with op.batch_alter_table('closure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_zh_hant', sa.String(length=200), server_default='', nullable=False))

    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('name_zh_hant', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('address_zh_hant', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('holidays', sa.String(length=8), server_default='CN', nullable=False))
        batch_op.create_index(batch_op.f('ix_office_region_id'), ['region_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_office_region_id_region'), 'region', ['region_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_office_holidays'), "holidays IN ('CN', 'none')")

    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_zh_hant', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('bring_zh_hant', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('suspension_note_zh_hant', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('assisted_reserve', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('assisted_release_hours', sa.Integer(), server_default='24', nullable=False))
        batch_op.add_column(sa.Column('no_show_limit', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('no_show_window_days', sa.Integer(), server_default='30', nullable=False))
        batch_op.add_column(sa.Column('no_show_bar_days', sa.Integer(), server_default='15', nullable=False))
        batch_op.add_column(sa.Column('arrival_windows', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_check_constraint(op.f('ck_service_assisted_reserve'),
                                         "assisted_reserve >= 0 AND assisted_release_hours >= 0")
        batch_op.create_check_constraint(
            op.f('ck_service_no_show_rule'),
            "no_show_limit >= 0 AND no_show_window_days >= 1 AND no_show_bar_days >= 1")
        batch_op.create_check_constraint(op.f('ck_service_arrival_windows_positive'), "arrival_windows >= 1")



def downgrade():
    op.execute(sa.text("DELETE FROM slot WHERE status = 'removed' AND id NOT IN (SELECT slot_id FROM booking)"))
    op.execute(sa.text("UPDATE slot SET status = 'closed' WHERE status = 'removed'"))
    op.drop_index('uq_slot_service_starts_live', table_name='slot')
    with op.batch_alter_table('slot') as batch_op:
        batch_op.drop_constraint(op.f('ck_slot_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_slot_status'), "status IN ('open', 'closed')")
        batch_op.create_unique_constraint(op.f('uq_slot_service_id'), ['service_id', 'starts_at'])
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_service_arrival_windows_positive'), type_='check')
        batch_op.drop_constraint(op.f('ck_service_no_show_rule'), type_='check')
        batch_op.drop_constraint(op.f('ck_service_assisted_reserve'), type_='check')
        batch_op.drop_column('arrival_windows')
        batch_op.drop_column('no_show_bar_days')
        batch_op.drop_column('no_show_window_days')
        batch_op.drop_column('no_show_limit')
        batch_op.drop_column('assisted_release_hours')
        batch_op.drop_column('assisted_reserve')
        batch_op.drop_column('suspension_note_zh_hant')
        batch_op.drop_column('bring_zh_hant')
        batch_op.drop_column('name_zh_hant')

    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_office_holidays'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_office_region_id_region'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_office_region_id'))
        batch_op.drop_column('holidays')
        batch_op.drop_column('address_zh_hant')
        batch_op.drop_column('name_zh_hant')
        batch_op.drop_column('region_id')

    with op.batch_alter_table('closure', schema=None) as batch_op:
        batch_op.drop_column('reason_zh_hant')

    with op.batch_alter_table('hours_exception', schema=None) as batch_op:
        batch_op.drop_index('ix_hours_exception_office_days')

    op.drop_table('hours_exception')
    op.drop_table('region')
    with op.batch_alter_table('holiday_date', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holiday_date_year'))

    op.drop_table('holiday_date')
