"""Traditional Chinese: the language columns hold zh-Hant (7 characters), bookings accept it

Revision ID: b7c41e2a9d03
Revises: 5e1c0a9d2b47
Create Date: 2026-11-30 23:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7c41e2a9d03'
down_revision = '5e1c0a9d2b47'
branch_labels = None
depends_on = None

TABLES = ('booking', 'sms_message', 'inbound_message')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column('lang', existing_type=sa.String(length=5), type_=sa.String(length=8),
                               existing_nullable=False)
    with op.batch_alter_table('booking') as batch:
        batch.drop_constraint(op.f('ck_booking_lang'), type_='check')
        batch.create_check_constraint(op.f('ck_booking_lang'), "lang IN ('zh', 'zh-Hant', 'en')")


def downgrade():
    # Traditional falls back to Simplified: the nearest language the old schema knows.
    for table in TABLES:
        op.execute(sa.text(f"UPDATE {table} SET lang = 'zh' WHERE lang = 'zh-Hant'"))
    with op.batch_alter_table('booking') as batch:
        batch.drop_constraint(op.f('ck_booking_lang'), type_='check')
        batch.create_check_constraint(op.f('ck_booking_lang'), "lang IN ('zh', 'en')")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column('lang', existing_type=sa.String(length=8), type_=sa.String(length=5),
                               existing_nullable=False)
