"""The accounts page (issue 25): a bureau account is made for a region, a clerk or supervisor
for an office, an administrator for neither; the table shows each account's office or region;
a refusal is shown beside its field in the reader's language, and nothing is created. A bureau
made on the page sees its region's offices (and those below) and no other region's."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import AuditEvent, StaffUser
from tests.bureau_support import bureau_world
from tests.test_access_staff import login
from tests.test_staff_support import PASSWORD, admin


@pytest.fixture
def admin_client(any_app):
    with any_app.app_context():
        bureau_world()
        admin()
    client = any_app.test_client()
    client.csrf = login(client, "admin")
    client.app = any_app
    return client


def create(client, lang: str = "zh", **form):
    return client.post("/staff/admin/accounts", query_string={"lang": lang},
                       data={"username": "city", "password": PASSWORD, **form, "csrf_token": client.csrf})


def accounts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StaffUser))


def test_a_bureau_made_on_the_page_sees_its_regions_offices_and_the_table_shows_its_region(admin_client):
    app = admin_client.app
    form = admin_client.get("/staff/admin/accounts?role=bureau&region=shanghai").get_data(as_text=True)
    assert re.search(r'<option value="bureau" selected>', form)
    assert re.search(r'<option value="jingan"\s*>shanghai市 › jingan市</option>', form)  # below its city
    assert re.search(r'<option value="shanghai" selected>shanghai市</option>', form)
    # an office left chosen in the office select is not the bureau's: a bureau takes the region only
    made = create(admin_client, role="bureau", region="shanghai", office="reg-d")
    assert made.status_code == 302, made.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == "city"))
        assert (user.role, user.region.code, user.office_id) == ("bureau", "shanghai", None)
        assert '"region": "shanghai"' in db.session.scalar(select(AuditEvent.detail).where(
            AuditEvent.action == "staff_created", AuditEvent.detail.contains('"city"')))
    bureau = app.test_client()
    login(bureau, "city")
    home = bureau.get("/staff/").get_data(as_text=True)
    queues = set(re.findall(r"/staff/([\w-]+)/queue", home))
    assert queues == {"reg-a", "reg-b", "cem-c"}  # the city's, the district's below it, never suzhou's
    assert bureau.get("/staff/reg-b/reports").status_code == 200  # in the district below
    assert bureau.get("/staff/reg-d/reports").status_code == 404  # another region's
    assert bureau.get("/staff/regions/suzhou/reports").status_code == 404
    table = admin_client.get("/staff/admin/accounts").get_data(as_text=True)

    def place(username: str) -> str:
        row = re.search(rf'<tr data-user="{username}">.*?<td class="place">(.*?)</td>', table, re.S)
        return row.group(1).strip()

    assert (place("city"), place("bureau-suzhou")) == ("shanghai市", "suzhou市")  # never "all offices"
    assert (place("clerk-reg-a"), place("admin")) == ("测试婚姻登记处", "全部办事处")


REFUSALS = [  # (the form, the field it is refused beside, its words in zh, zh-Hant, en)
    ({"role": "bureau", "region": ""}, "region", ("民政局账号属于某个地区，请选择所属地区。",
                                                  "民政局帳號屬於某個地區，請選擇所屬地區。",
                                                  "A bureau belongs to a region: choose its region.")),
    ({"role": "clerk", "office": "", "region": "shanghai"}, "office", (
        "窗口人员和主管属于某个办事处，请选择所属办事处。", "窗口人員和主管屬於某個辦事處，請選擇所屬辦事處。",
        "Clerks and supervisors belong to an office: choose their office.")),
    ({"role": "supervisor", "office": "nowhere"}, "office", ("没有代码为 nowhere 的办事处。",
                                                             "沒有代碼為 nowhere 的辦事處。",
                                                             "No such office: nowhere.")),
    ({"role": "admin", "username": "admin"}, "username", (
        "用户名 admin 已有人使用，请换一个。", "用戶名 admin 已有人使用，請換一個。",
        "The user name admin is taken: choose another.")),
    ({"role": "admin", "password": "short"}, "password", ("密码至少需要 10 个字符。", "密碼至少需要 10 個字元。",
                                                          "The password needs at least 10 characters.")),
    ({"role": "owner"}, "role", ("请从列出的角色中选择一个。", "請從列出的角色中選擇一個。",
                                 "Choose one of the roles offered.")),
]


def test_a_refusal_is_shown_beside_its_field_in_the_readers_language(any_app):
    with any_app.app_context():
        admin()
    client = any_app.test_client()
    client.csrf = login(client, "admin")
    for form, field, words in REFUSALS:
        for lang, said in zip(("zh", "zh-Hant", "en"), words, strict=True):
            response = create(client, lang, **form)
            page = response.get_data(as_text=True)
            assert response.status_code == 422, (form, lang)
            assert f'<span class="warn-text" id="{field}-error" role="alert">{said}</span>' in page, (form, lang)
            assert f'value="{form.get("username", "city")}"' in page  # what was typed stays
    assert accounts(any_app) == 1
