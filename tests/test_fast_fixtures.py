"""The fixtures' shortcuts (tests/conftest.py) leave exactly what the long way leaves: each test's
database is as drop_all and create_all leave it (emptied when its tables are the models', copied
from a file made once on SQLite, dropped and made again otherwise), each URL builder the apps
share is the one Werkzeug would compile for the rule, and each compiled template they share is
the one Jinja would compile for its source."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import inspect, select, text
from werkzeug.routing import Rule

from booking import bookings
from booking.extensions import db
from booking.models import Booking, Office, ReferenceVersion, Visitor

from .conftest import TEMPLATE_CODE, _fresh_schema, make_app
from .factories import make_office, make_service, make_slot, verified, visitor


def state(app) -> dict:
    """Every table's rows, and the id the next office, booking and visitor would get."""
    with app.app_context():
        rows = {table.name: db.session.execute(table.select()).all() for table in db.metadata.sorted_tables}
        office = make_office("probe")
        slot = make_slot(make_service(office))
        db.session.flush()
        booked = bookings.book(slot_id=slot.id, phone="+8613700000001", visitors=[visitor(1), visitor(2)],
                               verification=verified("+8613700000001")).booking
        ids = {"office": office.id, "booking": booked.id,
               "visitors": sorted(v.id for v in db.session.scalars(select(Visitor)))}
        db.session.rollback()
        return {"rows": rows, "next ids": ids}


def used(app) -> None:
    """Rows in many tables, the reference version moved, every sequence advanced."""
    with app.app_context():
        for n in range(3):
            slot = make_slot(make_service(make_office(f"used-{n}")))
            db.session.commit()
            bookings.book(slot_id=slot.id, phone=f"+861370000010{n}", visitors=[visitor(2 * n), visitor(2 * n + 1)],
                          verification=verified(f"+861370000010{n}"))
        assert db.session.get(ReferenceVersion, 1).version > 0


def rebuilt(url: str) -> dict:
    """The state of a database dropped and made again: the reference to compare with."""
    app = make_app(url)
    with app.app_context():
        db.drop_all()
        db.create_all()
    found = state(app)
    with app.app_context():
        db.engine.dispose()
    return found


def test_a_used_database_is_emptied_to_exactly_what_drop_all_and_create_all_leave(any_app):
    used(any_app)
    _fresh_schema(any_app)
    emptied = state(any_app)
    assert emptied == rebuilt(any_app.config["SQLALCHEMY_DATABASE_URI"])
    assert emptied["rows"]["reference_version"] == [(1, 0)]
    assert emptied["next ids"] == {"office": 1, "booking": 1, "visitors": [1, 2]}
    assert sum(len(rows) for rows in emptied["rows"].values()) == 1


def test_the_reference_version_still_moves_after_emptying(any_app):
    """The triggers that move it (booking/models/reference.py) belong to the schema that stays."""
    used(any_app)
    _fresh_schema(any_app)
    with any_app.app_context():
        make_office("after")
        db.session.commit()
        assert db.session.get(ReferenceVersion, 1).version > 0


@pytest.mark.parametrize("change", ["DROP TABLE waiting_visitor", "ALTER TABLE office ADD COLUMN extra INTEGER"])
def test_a_database_whose_tables_differ_from_the_models_is_dropped_and_made_again(any_app, change):
    used(any_app)
    with any_app.app_context():
        db.session.execute(text(change))
        db.session.commit()
    _fresh_schema(any_app)
    with any_app.app_context():
        assert {c["name"] for c in inspect(db.engine).get_columns("office")} == set(Office.__table__.columns.keys())
        assert "waiting_visitor" in inspect(db.engine).get_table_names()
        assert db.session.scalar(select(db.func.count()).select_from(Booking)) == 0
    assert state(any_app)["next ids"] == {"office": 1, "booking": 1, "visitors": [1, 2]}


def test_a_sqlite_tests_copied_file_holds_the_schema_create_all_makes(sqlite_app, tmp_path):
    def schema(url: str) -> list:
        app = make_app(url)
        with app.app_context():
            found = db.session.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY name")).all()
            db.engine.dispose()
        return found

    made = make_app(f"sqlite:///{tmp_path / 'made.db'}")
    with made.app_context():
        db.create_all()
        db.engine.dispose()
    assert schema(sqlite_app.config["SQLALCHEMY_DATABASE_URI"]) == schema(f"sqlite:///{tmp_path / 'made.db'}")
    assert state(sqlite_app) == state(made)


def test_each_shared_url_builder_is_the_one_werkzeug_compiles_for_its_rule(app):
    compile_builder = Rule._compile_builder.__wrapped__
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100
    for rule in rules:
        for append_unknown in (False, True):
            shared, own = rule._compile_builder(append_unknown), compile_builder(rule, append_unknown)
            assert shared is not own and code(shared) == code(own), rule.rule
    with app.test_request_context():
        assert url_for("web.service_days", office_code="a b", service_code="中") == "/book/a%20b/%E4%B8%AD"
        assert url_for("staff.region_report_xlsx", region_code="sh", day="1") == "/staff/regions/sh/reports.xlsx?day=1"
        assert url_for("staff.setup_service", office_code="a") == "/staff/a/admin/services/new"


def code(builder) -> tuple:
    """What a compiled builder does: its byte code, constants and arguments, and its name."""
    c = builder.__code__
    return c.co_code, c.co_consts, c.co_varnames, c.co_argcount, builder.__name__, builder.__defaults__


def test_apps_share_each_compiled_template_and_it_is_the_one_jinja_compiles(tmp_path):
    first, second = (make_app(f"sqlite:///{tmp_path / name}") for name in ("a.db", "b.db"))
    own = make_app(f"sqlite:///{tmp_path / 'c.db'}")
    own.jinja_env.bytecode_cache = None  # compiles for itself, as a deployment does
    for name in ("staff/login.html", "base.html", "errors/status.html"):
        shared = first.jinja_env.get_template(name).root_render_func.__code__
        assert second.jinja_env.get_template(name).root_render_func.__code__ is shared
        fresh = own.jinja_env.get_template(name).root_render_func.__code__
        assert fresh is not shared
        assert (shared.co_code, shared.co_consts, shared.co_names) == (fresh.co_code, fresh.co_consts, fresh.co_names)


def test_a_template_whose_source_changed_is_compiled_again(app):
    source, filename, _ = app.jinja_loader.get_source(app.jinja_env, "base.html")
    app.jinja_env.get_template("base.html")  # compiled and kept
    kept = TEMPLATE_CODE.get_bucket(app.jinja_env, "base.html", filename, source)
    assert kept.code is not None
    changed = TEMPLATE_CODE.get_bucket(app.jinja_env, "base.html", filename, source + "<!-- changed -->")
    assert changed.code is None
