"""The Alembic migrations build exactly the models, and go back down to nothing."""

from __future__ import annotations

import datetime as dt

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from booking.extensions import db

from .conftest import make_app, temporary_database


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    with temporary_database("booking_migrations") as url:
        yield url


@pytest.mark.slow
def test_upgrade_gives_exactly_the_models_and_downgrade_reaches_base(empty_database):
    app = make_app(empty_database)
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


OLD_ROWS = [
    ("office", dict(id=1, code="o", name_zh="o", name_en="o", address_zh="a", address_en="a",
                    timezone="Asia/Shanghai", hall_limit=30, stay_limit_minutes=30, checkin_opens_minutes=30,
                    epidemic_level="normal")),
    *[("service", dict(id=i, office_id=1, code=kind, kind=kind, name_zh="s", name_en="s", bring_zh="",
                       bring_en="", party_size_min=1, party_size_max=2, slot_minutes=30, slot_max_bookings=5,
                       slot_max_people=10, booking_opens_days=7, booking_opens_at=dt.time(8),
                       booking_closes_hours=2, requires_confirmation=False, suspended=False,
                       suspension_note_zh="", suspension_note_en=""))
      for i, kind in ((1, "marriage"), (2, "farewell"))],
    ("slot", dict(id=1, service_id=1, office_id=1, starts_at=dt.datetime(2026, 12, 1, 2), ends_at=dt.datetime(
        2026, 12, 1, 2, 30), max_bookings=5, max_people=10, booked_bookings=1, booked_people=2, status="open")),
    ("booking", dict(id=1, reference="ABCD2345", token_salt="s", token_hash="h", slot_id=1, service_id=1,
                     office_id=1, phone="+8613812345678", lang="zh", party_size=2, status="booked", source="web",
                     created_at=dt.datetime(2026, 11, 1), updated_at=dt.datetime(2026, 11, 1), ics_sequence=0)),
    *[("visitor", dict(id=i, booking_id=1, position=i, name="n", id_type=kind, id_masked="m", id_hash=f"h{i}"))
      for i, kind in ((0, "hk_macau_permit"), (1, "taiwan_permit"))],
]


def _type_of(value):
    return {dt.time: sa.Time(), dt.datetime: sa.DateTime(), bool: sa.Boolean()}.get(type(value))


@pytest.mark.slow
def test_upgrade_renames_stored_document_types_and_sets_each_services_person_limit(empty_database):
    app = make_app(empty_database)
    with app.app_context():
        flask_migrate.upgrade(revision="36bcf46c7fa9")
        with db.engine.begin() as conn:
            for table, row in OLD_ROWS:
                conn.execute(sa.table(table, *[sa.column(c, _type_of(v)) for c, v in row.items()])
                             .insert().values(**row))
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            types = conn.execute(sa.text("SELECT id_type FROM visitor ORDER BY position")).scalars().all()
            limits = conn.execute(sa.text("SELECT person_limit FROM service ORDER BY id")).scalars().all()
        assert (types, limits) == (["hk_mo_permit", "tw_permit"], ["service", "day"])
        flask_migrate.downgrade(revision="36bcf46c7fa9")
        with db.engine.connect() as conn:
            types = conn.execute(sa.text("SELECT id_type FROM visitor ORDER BY position")).scalars().all()
        assert types == ["hk_macau_permit", "taiwan_permit"]
        db.engine.dispose()
