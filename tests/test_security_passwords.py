"""Staff passwords: argon2id at argon2-cffi's defaults (RFC 9106's low-memory profile: 3 passes
over 64 MiB in 4 lanes) wherever the configuration does not say otherwise, and only the tests'
configuration does (tests/conftest.py lowers the cost to save time). A hash is checked at the
cost it was made with, so a lowered cost changes nothing but the time."""

from __future__ import annotations

import argon2
import pytest
from argon2.profiles import RFC_9106_LOW_MEMORY

from booking import accounts, config
from booking.extensions import db
from tests.conftest import TEST_ARGON2_PARAMETERS, make_app
from tests.test_staff_pages import login

PASSWORD = "correct horse battery"


@pytest.fixture
def production_app(tmp_path):
    """An app whose password cost is what booking/config.py gives a deployment."""
    settings = config.load(str(tmp_path / "instance"))
    app = make_app(f"sqlite:///{tmp_path / 'production.db'}",
                   ARGON2_PARAMETERS=settings["ARGON2_PARAMETERS"])
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_deployment_hashes_staff_passwords_at_argon2s_rfc_9106_low_memory_cost(production_app):
    with production_app.app_context():
        user = accounts.create_staff("admin-p", PASSWORD, "admin", None)
        assert argon2.extract_parameters(user.password_hash) == RFC_9106_LOW_MEMORY
        assert RFC_9106_LOW_MEMORY.memory_cost == 65536 and RFC_9106_LOW_MEMORY.time_cost == 3
        # An unknown name is checked against a hash of the same cost: the same time as a real one.
        assert argon2.extract_parameters(accounts.unknown_user_hash()) == RFC_9106_LOW_MEMORY
        assert accounts.check_password(user, PASSWORD) and not accounts.check_password(user, PASSWORD + "x")
        accounts.set_password(user, "another long password")
        assert argon2.extract_parameters(user.password_hash) == RFC_9106_LOW_MEMORY


def test_the_tests_lowered_cost_is_theirs_alone_and_each_hash_is_checked_at_its_own_cost(app, production_app):
    with app.app_context():
        cheap = accounts.create_staff("admin-t", PASSWORD, "admin", None).password_hash
        for made in (cheap, accounts.unknown_user_hash()):
            assert argon2.extract_parameters(made).memory_cost == TEST_ARGON2_PARAMETERS["memory_cost"]
    with production_app.app_context():
        user = accounts.create_staff("admin-t", PASSWORD, "admin", None)
        costly = user.password_hash
        user.password_hash = cheap
        assert accounts.check_password(user, PASSWORD) and not accounts.check_password(user, "wrong password")
    with app.app_context():
        user = db.session.scalar(db.select(accounts.StaffUser).where(accounts.StaffUser.username == "admin-t"))
        user.password_hash = costly
        assert accounts.check_password(user, PASSWORD) and not accounts.check_password(user, "wrong password")


def test_a_deployments_login_page_logs_in_and_refuses_an_unknown_name(production_app):
    with production_app.app_context():
        accounts.create_staff("admin-p", PASSWORD, "admin", None)
    client = production_app.test_client()
    assert login(client, "nobody-here", PASSWORD).status_code == 401
    assert login(client, "admin-p", PASSWORD).status_code == 302
