"""Security headers on every answer, and the attributes of every cookie we set."""

from __future__ import annotations

import re

import pytest

from booking.security import harden_cookie

from .conftest import _fresh_schema, make_app

PAGES = ("/", "/staff/login", "/api/v1/offices", "/healthz", "/no-such-page", "/api/v1/no-such-thing",
         "/static/site.css")


def get(client, path: str, **kwargs):
    """GET and close (a static file answer holds the file open until closed)."""
    response = client.get(path, **kwargs)
    response.close()
    return response


def csp_directives(value: str) -> dict[str, list[str]]:
    result = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            result[words[0]] = words[1:]
    return result


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_carries_a_strict_content_security_policy(app, path):
    response = get(app.test_client(), path)
    assert response.status_code < 500
    policy = csp_directives(response.headers["Content-Security-Policy"])
    for directive in ("script-src", "style-src"):
        assert policy[directive] == ["'self'"], "no 'unsafe-inline', no 'unsafe-eval', no other host"
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "unsafe" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_forbids_sniffing_framing_and_leaking_the_address(app, path):
    headers = get(app.test_client(), path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    # The manage link carries its token in the path: it must not leave for another site.
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=(self)" in headers["Permissions-Policy"]


def test_dynamic_answers_are_not_stored_by_shared_computers(app):
    client = app.test_client()
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/offices").headers["Cache-Control"] == "no-store"
    assert "no-store" not in get(client, "/static/site.css").headers.get("Cache-Control", "")


def test_hsts_only_over_https(app):
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://booking.example.gov.cn")
    hsts = secure.headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 180 * 24 * 3600


def test_behind_a_trusted_proxy_forwarded_https_gets_hsts_and_secure_cookies(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'p.db'}", PROXY_COUNT=1)
    _fresh_schema(app)
    response = app.test_client().get("/?lang=en", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers
    assert "Secure" in cookie_attributes(response.headers.getlist("Set-Cookie")[0])


def test_without_a_trusted_proxy_a_forged_forwarded_proto_changes_nothing(app):
    response = app.test_client().get("/?lang=en", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" not in cookie_attributes(response.headers.getlist("Set-Cookie")[0])


def cookie_attributes(set_cookie: str) -> set[str]:
    return {part.strip().split("=", 1)[0] for part in set_cookie.split(";")[1:]}


def test_session_cookie_is_httponly_lax_and_secure_over_https(app):
    client = app.test_client()
    plain = client.get("/?lang=en").headers.getlist("Set-Cookie")
    secure = app.test_client().get("/?lang=en", base_url="https://booking.example.gov.cn")
    secure_cookies = secure.headers.getlist("Set-Cookie")
    assert plain and secure_cookies, "choosing a language stores it in the session"
    for value in plain + secure_cookies:
        assert {"HttpOnly", "SameSite"} <= cookie_attributes(value)
        assert "SameSite=Lax" in value
    assert all("Secure" not in cookie_attributes(v) for v in plain), "plain-HTTP development still works"
    assert all("Secure" in cookie_attributes(v) for v in secure_cookies)


def test_staff_login_session_cookie_over_https_is_secure(app):
    client = app.test_client()
    page = client.get("/staff/login", base_url="https://booking.example.gov.cn")
    for value in page.headers.getlist("Set-Cookie"):
        assert {"Secure", "HttpOnly", "SameSite"} <= cookie_attributes(value)


def test_https_form_post_with_our_own_referer_passes_csrf(app):
    """Referrer-Policy same-origin still lets Flask-WTF's HTTPS referer check see our origin."""
    client = app.test_client()
    base = "https://booking.example.gov.cn"
    page = client.get("/staff/login", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/staff/login", base_url=base, data={
        "csrf_token": token, "username": "nobody", "password": "wrong"},
        headers={"Referer": base + "/staff/login"})
    assert response.status_code != 400
    refused = client.post("/staff/login", base_url=base, data={
        "csrf_token": token, "username": "nobody", "password": "wrong"})
    assert refused.status_code == 400, "without a Referer an HTTPS form post is refused"


@pytest.mark.parametrize("given, secure, expected", [
    ("session=abc; Path=/", False, "session=abc; Path=/; HttpOnly; SameSite=Lax"),
    ("session=abc; Path=/; HttpOnly; SameSite=Strict", True,
     "session=abc; Path=/; HttpOnly; SameSite=Strict; Secure"),
    ("a=b; Secure; HttpOnly; SameSite=Lax", True, "a=b; Secure; HttpOnly; SameSite=Lax"),
])
def test_cookie_hardening_adds_only_what_is_missing(given, secure, expected):
    assert harden_cookie(given, secure) == expected
