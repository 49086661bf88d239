"""The Content-Security-Policy holds in practice: no template carries inline script, inline
style or event-handler attributes, and Chromium reports no violation on any page of the site
(every HTML GET route of the URL map, citizen and staff, with real data behind it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from booking import accounts, bookings
from booking.extensions import db

from .factories import make_office, make_service, make_slot, verified, visitor

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FORBIDDEN = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}
PASSWORD = "csp staff password 1"
PROBE = '<!doctype html><title>probe</title><p style="color:red">x</p><script>document.title="run"</script>'


@pytest.mark.parametrize("template", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")))
def test_templates_keep_scripts_and_styles_in_static_files(template):
    text = (TEMPLATES / template).read_text()
    for what, pattern in FORBIDDEN.items():
        found = pattern.search(text)
        assert found is None, f"{template}: {what} {found.group(0) if found else ''!r} (blocked by the CSP)"


def test_the_enforced_policy_is_the_default(app):
    assert "Content-Security-Policy" in app.test_client().get("/").headers


@pytest.fixture
def site(app):
    """An office with slots, a booking and a supervisor; the values pages need in their URLs."""
    with app.app_context():
        office = make_office(code="registry")
        service = make_service(office)
        slot = make_slot(service)
        make_slot(service, days_ahead=3)
        db.session.commit()
        done = bookings.book(slot_id=slot.id, phone="+8613812345678", visitors=[visitor(1), visitor(2)],
                             verification=verified())
        accounts.create_staff("csp-supervisor", PASSWORD, "supervisor", "registry")
        return {"office_code": "registry", "service_code": "marriage", "slot_id": slot.id,
                "day": slot.starts_at.astimezone(office.tz).date().isoformat(),
                "reference": done.booking.reference, "token": done.token, "position": 0}


def html_pages(app, values: dict) -> list[str]:
    """Every GET route that answers an HTML page with these values."""
    client = app.test_client()
    login = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    client.post("/staff/login", data={"csrf_token": token, "username": "csp-supervisor", "password": PASSWORD})
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith("/api/"):
            continue
        if not set(rule.arguments) <= set(values):
            continue
        url = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            pages.append(url)
    return pages


@pytest.mark.browser
def test_chromium_reports_no_policy_violation_on_any_page(app, site, live_server, page):
    app.add_url_rule("/csp-probe", "csp_probe", lambda: PROBE)
    pages = [p for p in html_pages(app, site) if p != "/csp-probe"]
    assert any(p.startswith("/staff/") for p in pages) and any(p.startswith("/m/") for p in pages)
    violations = []
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    page.goto(f"{live_server}/csp-probe")
    assert len(violations) >= 2, "the browser reports inline script and style (the check works)"
    violations.clear()
    page.goto(f"{live_server}/staff/login")
    page.fill("#username", "csp-supervisor")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/staff/login"))
    for path in pages:
        page.goto(live_server + path)
        page.wait_for_load_state("load")
    assert violations == []
