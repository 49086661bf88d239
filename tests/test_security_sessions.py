"""Staff sessions end on the server (issue 15): a session cookie copied before logout,
deactivation or a password change opens nothing afterwards; the calendar feed takes its own
read-only token, revocable on its own; a login `next` with control characters is ignored."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from booking import accounts
from booking.extensions import db
from booking.models import StaffUser
from booking.offices import admin as office_admin
from tests.test_staff_pages import csrf, login
from tests.test_staff_support import PASSWORD, admin, make_office2

QUEUE = "/staff/registry-a/queue"


@pytest.fixture
def office(app):
    with app.app_context():
        d = make_office2("registry-a")
        admin()
        return SimpleNamespace(code=d.office.code, clerk_id=d.clerk.id)


def _copied_session(app):
    """A logged-in clerk's client, and a second client holding a copy of its session cookie
    (a shared hall computer, a stolen cookie)."""
    client = app.test_client()
    login(client)
    assert client.get(QUEUE).status_code == 200
    copy = app.test_client()
    cookie = client.get_cookie("session")
    copy.set_cookie("session", cookie.value, domain=cookie.domain)
    assert copy.get(QUEUE).status_code == 200
    return client, copy


def _user(username="clerk-registry-a") -> StaffUser:
    return db.session.scalar(select(StaffUser).where(StaffUser.username == username))


def test_logout_ends_a_copied_session_cookie_too(app, office):
    client, copy = _copied_session(app)
    page = client.get(QUEUE).get_data(as_text=True)
    client.post("/staff/logout", data={"csrf_token": csrf(page)})
    response = copy.get(QUEUE)
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_logout_ends_every_session_of_the_user_on_every_device(app, office):
    first, _ = _copied_session(app)
    second = app.test_client()
    login(second)
    page = second.get(QUEUE).get_data(as_text=True)
    second.post("/staff/logout", data={"csrf_token": csrf(page)})
    assert first.get(QUEUE).status_code == 302


def test_deactivation_ends_the_session_at_once_and_for_good(app, office):
    client, copy = _copied_session(app)
    with app.app_context():
        office_admin.deactivate_staff(_user(), _user("admin"))
        user = _user()
        user.active = True  # even if the account is later re-activated, the old session is dead
        db.session.commit()
    assert client.get(QUEUE).status_code == 302
    assert copy.get(QUEUE).status_code == 302
    login(client)
    assert client.get(QUEUE).status_code == 200  # a new login works


def test_a_password_change_ends_every_session(app, office, runner):
    client, copy = _copied_session(app)
    result = runner.invoke(args=["staff", "password", "clerk-registry-a", "--password", "a new password 2"])
    assert result.exit_code == 0, result.output
    assert client.get(QUEUE).status_code == 302 and copy.get(QUEUE).status_code == 302
    assert login(client).status_code == 401  # the old password no longer works
    assert login(client, password="a new password 2").status_code == 302
    with app.app_context():
        with pytest.raises(accounts.AccountError):
            accounts.set_password(_user(), "short")


def test_a_session_from_before_generations_counts_as_logged_out(app, office):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(office.clerk_id)  # the old form: the id alone
        session["_fresh"] = True
    assert client.get(QUEUE).status_code == 302


# --- the calendar feed's own token ------------------------------------------------------------

def test_an_api_token_does_not_open_the_feed_and_a_feed_token_does_not_open_the_api(app, office):
    client = app.test_client()
    with app.app_context():
        api_token, feed_token = accounts.issue_token(_user()), accounts.issue_token(_user(), "feed")
    feed = f"/staff/{office.code}/calendar.ics"
    assert client.get(feed, query_string={"token": api_token}).status_code == 401
    assert client.get(feed, query_string={"token": feed_token}).status_code == 200
    api = f"/api/v1/staff/queue?office={office.code}"
    assert client.get(api, headers={"Authorization": f"Bearer {feed_token}"}).status_code == 401
    closure = client.post("/api/v1/staff/closures", headers={"Authorization": f"Bearer {feed_token}"},
                          json={"office": office.code, "from": "2030-01-01", "to": "2030-01-01",
                                "reason": "x"})
    assert closure.status_code == 401
    assert client.get(api, headers={"Authorization": f"Bearer {api_token}"}).status_code == 200


def test_feed_tokens_are_revoked_on_their_own(app, office, runner):
    client = app.test_client()
    feed_token = runner.invoke(args=["staff", "token", "clerk-registry-a", "--feed"]).output.strip()
    api_token = runner.invoke(args=["staff", "token", "clerk-registry-a"]).output.strip()
    feed = f"/staff/{office.code}/calendar.ics"
    assert client.get(feed, query_string={"token": feed_token}).status_code == 200
    assert runner.invoke(args=["staff", "revoke-feed", "clerk-registry-a"]).exit_code == 0
    assert client.get(feed, query_string={"token": feed_token}).status_code == 401
    api = f"/api/v1/staff/queue?office={office.code}"
    assert client.get(api, headers={"Authorization": f"Bearer {api_token}"}).status_code == 200


# --- login `next` -----------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/staff/\r\nSet-Cookie: x=1", "/staff/%0d%0a\n", "/\\evil.example",
                                    "/staff/\u2028x"])
def test_a_next_with_control_characters_is_ignored(client, office, target):
    token = csrf(client.get("/staff/login").get_data(as_text=True))
    response = client.post("/staff/login", query_string={"next": target}, data={
        "username": "clerk-registry-a", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(QUEUE)


def test_a_next_with_a_nul_is_refused_at_the_edge_and_logs_no_one_in(client, office):
    """A NUL anywhere in a request is refused before any view (booking/input_edge.py, issue 27)."""
    token = csrf(client.get("/staff/login").get_data(as_text=True))
    response = client.post("/staff/login", query_string={"next": "/staff/\x00"}, data={
        "username": "clerk-registry-a", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 400
    assert client.get(QUEUE).status_code == 302  # still signed out: to the login page
