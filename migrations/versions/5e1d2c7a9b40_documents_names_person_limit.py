"""The six identity documents, names up to 100 characters, the per-person limit of a service

Issue 13: id_type takes the contract's names (hk_macau_permit -> hk_mo_permit,
taiwan_permit -> tw_permit) and the new residence_permit and foreign_permanent_id; a
visitor's name holds 100 characters; each service says whether one active booking per person
holds per day or whatever the day (marriage and divorce start as "service").

Revision ID: 5e1d2c7a9b40
Revises: b7c41e2a9d03
Create Date: 2026-11-30 23:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5e1d2c7a9b40'
down_revision = 'b7c41e2a9d03'
branch_labels = None
depends_on = None

OLD_TYPES = "id_type IN ('resident_id', 'passport', 'hk_macau_permit', 'taiwan_permit')"
NEW_TYPES = ("id_type IN ('resident_id', 'residence_permit', 'hk_mo_permit', 'tw_permit', "
             "'foreign_permanent_id', 'passport')")
RENAMES = (("hk_macau_permit", "hk_mo_permit"), ("taiwan_permit", "tw_permit"))


def _rename(pairs):
    visitor = sa.table("visitor", sa.column("id_type", sa.String))
    for old, new in pairs:
        op.execute(visitor.update().where(visitor.c.id_type == old).values(id_type=new))


def upgrade():
    with op.batch_alter_table('service') as batch:
        batch.add_column(sa.Column('person_limit', sa.String(length=8), server_default='day',
                                   nullable=False))
        batch.create_check_constraint(op.f('ck_service_person_limit'), "person_limit IN ('day', 'service')")
    service = sa.table("service", sa.column("kind", sa.String), sa.column("person_limit", sa.String))
    op.execute(service.update().where(service.c.kind.in_(("marriage", "divorce")))
               .values(person_limit="service"))
    with op.batch_alter_table('visitor') as batch:
        batch.drop_constraint(op.f('ck_visitor_id_type'), type_='check')
    _rename(RENAMES)
    with op.batch_alter_table('visitor') as batch:
        batch.create_check_constraint(op.f('ck_visitor_id_type'), NEW_TYPES)
        batch.alter_column('name', existing_type=sa.String(length=60), type_=sa.String(length=100),
                           existing_nullable=False)


def downgrade():
    # The documents the old schema lacks cannot go back: such visitors keep only a masked number.
    visitor = sa.table("visitor", sa.column("id_type", sa.String))
    op.execute(visitor.update().where(visitor.c.id_type.in_(("residence_permit", "foreign_permanent_id")))
               .values(id_type="passport"))
    with op.batch_alter_table('visitor') as batch:
        batch.drop_constraint(op.f('ck_visitor_id_type'), type_='check')
    _rename([(new, old) for old, new in RENAMES])
    with op.batch_alter_table('visitor') as batch:
        batch.create_check_constraint(op.f('ck_visitor_id_type'), OLD_TYPES)
        batch.alter_column('name', existing_type=sa.String(length=100), type_=sa.String(length=60),
                           existing_nullable=False)
    with op.batch_alter_table('service') as batch:
        batch.drop_constraint(op.f('ck_service_person_limit'), type_='check')
        batch.drop_column('person_limit')
