"""Administrators set up regions on pages (issue 25): a province and a city below it, each
previewed by a dry run of setup.apply and applied once on confirmation, as offices are; the
preview names the fields that change in the reader's words; a loop of parents, a code taken,
an unknown parent and names too long are refused beside their field, changing nothing; the
export holds what the pages made; clerks, supervisors and bureaus are refused the pages."""

from __future__ import annotations

import re
import tomllib

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent, Region
from tests.bureau_support import bureau_world
from tests.test_access_staff import login
from tests.test_setup_pages import admin_client, confirm_form, count, post  # noqa: F401 (a fixture)
from tests.test_staff_support import admin

PROVINCE = {"code": "sichuan", "name_zh": "四川省", "name_zh_hant": "", "name_en": "Sichuan", "parent": ""}
CITY = {"code": "chengdu", "name_zh": "成都市", "name_zh_hant": "", "name_en": "Chengdu", "parent": "sichuan"}


def create_region(client, form: dict) -> str:
    """Preview a new region, confirm it; the preview page."""
    preview = post(client, "/staff/admin/regions/new", form)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    done = post(client, "/staff/admin/setup", confirm_form(page))
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/staff/regions/{form['code']}/admin")
    return page


def region(app, code: str) -> tuple[str, str, str, str | None]:
    with app.app_context():
        row = db.session.scalar(select(Region).where(Region.code == code))
        return row.name_zh, row.name_zh_hant, row.name_en, row.parent.code if row.parent else None


def change(page: str, field: str) -> str:
    """The preview's line of a field: "before → after" (before left out when there was none)."""
    found = re.search(rf'<span class="muted small">{re.escape(field)}</span><br>\s*(.*?)</li>', page, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


def test_a_province_and_a_city_below_it_are_created_through_a_preview(admin_client):  # noqa: F811 (the fixture)
    app = admin_client.app
    preview = post(admin_client, "/staff/admin/regions/new", PROVINCE).get_data(as_text=True)
    assert "地区：四川省" in preview and change(preview, "新建地区") == "sichuan"
    assert change(preview, "名称（繁体中文）") == "四川省"  # drafted, the same characters
    assert 'id="slot-counts"' not in preview  # a region alone moves no slot: nothing to count
    assert count(app, Region) == 0  # a preview writes nothing
    assert 'href="/staff/admin/regions">' in preview, "cancelling goes to the tree: the region has no page yet"
    post(admin_client, "/staff/admin/setup", confirm_form(preview))
    city = create_region(admin_client, CITY)
    assert change(city, "上级地区") == "四川省"  # the parent by its name, not its code
    assert region(app, "chengdu") == ("成都市", "成都市", "Chengdu", "sichuan")
    assert count(app, AuditEvent, AuditEvent.action == "setup_applied") == 2
    tree = admin_client.get("/staff/admin/regions").get_data(as_text=True)
    province = tree[tree.index('data-region="sichuan"'):]
    assert re.search(r'<ul class="list tree">\s*<li data-region="chengdu"', province)  # below it
    exported = tomllib.loads(app.test_cli_runner().invoke(args=["setup", "export"]).output)
    assert {(r["code"], r.get("parent", "")) for r in exported["regions"]} == {("sichuan", ""), ("chengdu", "sichuan")}


def test_a_regions_names_and_parent_change_through_the_preview(admin_client):  # noqa: F811 (the fixture)
    app = admin_client.app
    create_region(admin_client, PROVINCE)
    create_region(admin_client, {**CITY, "parent": ""})
    form = {**CITY, "code": "ignored", "name_en": "Chengdu City"}
    preview = post(admin_client, "/staff/regions/chengdu/admin", form, "en").get_data(as_text=True)
    assert "Region Chengdu City" in preview and "new region" not in preview
    assert change(preview, "Name (English)") == "Chengdu → Chengdu City"
    assert change(preview, "Region above") == "Sichuan"
    assert region(app, "chengdu")[2:] == ("Chengdu", None)
    post(admin_client, "/staff/admin/setup", confirm_form(preview))
    assert region(app, "chengdu")[2:] == ("Chengdu City", "sichuan")
    assert count(app, Region) == 2  # the code is not editable
    detached = post(admin_client, "/staff/regions/chengdu/admin", {**form, "parent": ""}, "en").get_data(as_text=True)
    assert change(detached, "Region above") == "Sichuan → —"


@pytest.mark.parametrize(("lang", "words"), [("zh", "地区不能隶属于自身，也不能隶属于它的下级地区。"),
                                             ("zh-Hant", "地區不能隸屬於自身，也不能隸屬於它的下級地區。"),
                                             ("en", "A region cannot lie inside itself or inside a region below it.")])
def test_a_loop_of_parents_is_refused_beside_the_parent_field(admin_client, lang, words):  # noqa: F811 (the fixture)
    app = admin_client.app
    create_region(admin_client, PROVINCE)
    create_region(admin_client, CITY)
    for parent in ("chengdu", "sichuan"):  # below itself, or itself
        response = post(admin_client, "/staff/regions/sichuan/admin", {**PROVINCE, "parent": parent}, lang)
        assert response.status_code == 422
        assert f'id="f-parent-error" role="alert">{words}</span>' in response.get_data(as_text=True)
    assert region(app, "sichuan")[3] is None and region(app, "chengdu")[3] == "sichuan"
    assert count(app, AuditEvent, AuditEvent.action == "setup_applied") == 2


REFUSALS = [  # (the new region's form, the field it is refused beside, the words)
    ({"code": "sichuan"}, "code", "Another entry already has this code."),
    ({"code": "Chengdu!"}, "code", "Use lower-case letters, digits and &#39;-&#39;, at most 40."),
    ({"parent": "nowhere"}, "parent", "No such region: nowhere."),
    ({"name_zh": "市" * 121}, "name_zh", "Enter 1 to 120 characters."),
    ({"name_en": ""}, "name_en", "Enter 1 to 120 characters."),
]


def test_a_bad_region_is_refused_beside_its_field_and_changes_nothing(admin_client):  # noqa: F811 (the fixture)
    create_region(admin_client, PROVINCE)
    for changed, field, words in REFUSALS:
        response = post(admin_client, "/staff/admin/regions/new", {**CITY, **changed}, "en")
        page = response.get_data(as_text=True)
        assert response.status_code == 422, changed
        assert f'id="f-{field}-error" role="alert">{words}</span>' in page, changed
    assert count(admin_client.app, Region) == 1


def test_a_region_page_lists_its_offices_the_regions_below_and_its_bureaus(app):
    with app.app_context():
        bureau_world()
        admin()
    client = app.test_client()
    login(client, "admin")
    page = client.get("/staff/regions/shanghai/admin").get_data(as_text=True)
    offices = page[page.index('id="region-offices"'):page.index('id="region-below"')]
    assert re.findall(r'href="/staff/([\w-]+)/admin/office"', offices) == ["cem-c", "reg-a"]
    below = page[page.index('id="region-below"'):page.index('id="region-bureaus"')]
    assert 'href="/staff/regions/jingan/admin"' in below and "suzhou" not in below
    assert "bureau-shanghai" in page and "bureau-suzhou" not in page
    assert 'href="/staff/admin/accounts?role=bureau&amp;region=shanghai#new-account"' in page
    tree = client.get("/staff/admin/regions").get_data(as_text=True)
    suzhou = tree[tree.index('data-region="suzhou"'):]
    assert "/staff/reg-d/admin/office" in suzhou and "bureau-suzhou" in suzhou and "reg-a" not in suzhou
    for page_url in ("/staff/admin/offices", "/staff/admin/accounts"):
        assert 'href="/staff/admin/regions"' in client.get(page_url).get_data(as_text=True), page_url


def test_clerks_supervisors_and_bureaus_are_refused_the_region_pages(app):
    with app.app_context():
        bureau_world()
    for username in ("clerk-reg-a", "super-reg-a", "bureau-shanghai"):
        client = app.test_client()
        csrf = login(client, username)
        for url in ("/staff/admin/regions", "/staff/admin/regions/new", "/staff/regions/shanghai/admin",
                    "/staff/regions/jingan/admin"):
            assert client.get(url).status_code == 403, (username, url)
        for url, form in (("/staff/admin/regions/new", CITY), ("/staff/regions/jingan/admin", {**CITY, "parent": ""})):
            assert client.post(url, data={**form, "csrf_token": csrf}).status_code == 403, (username, url)
    assert count(app, Region) == 3 and region(app, "jingan")[3] == "shanghai"
