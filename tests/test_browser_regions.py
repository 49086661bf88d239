"""An administrator sets up a province, a city below it and the city's bureau account on a 360 px
phone in Chinese (Debian's Chromium through Playwright): each region previewed, then confirmed;
a bad code refused beside its field; the accounts page asks a bureau for its region only. The
region pages and the accounts page fit 360 px in every language. Screenshots in
test-artifacts/screenshots."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.test_browser_setup import administrator, fits, log_in  # noqa: F401 (a fixture)
from tests.test_staff_support import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("administrator")]


def new_region(page, screenshot, values: dict[str, str], name: str) -> None:
    for field, value in values.items():
        page.fill(f"#f-{field}", value)
    page.click("#region-preview")
    expect(page.locator("#setup-preview")).to_contain_text("新建地区")
    fits(page, f"{name} preview")
    screenshot(page, f"regions-{name}-preview")
    page.click("#confirm-setup")
    expect(page.locator(".flash-ok")).to_have_text("已生效。")


def test_an_administrator_sets_up_a_city_and_its_bureau_on_a_phone_in_chinese(app, live_server, browser, screenshot):
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server)
    page.click("a[href='/staff/admin/regions']")
    expect(page.locator("main")).to_contain_text("尚未设置地区")
    page.click("#new-region")
    new_region(page, screenshot, {"code": "sichuan", "name_zh": "四川省", "name_en": "Sichuan"}, "province")
    expect(page.locator("#f-name_zh_hant")).to_have_value("四川省")  # drafted, editable

    page.click("#region-below a:has-text('新建下级地区')")
    expect(page.locator("#f-parent")).to_have_value("sichuan")  # the province, chosen
    page.fill("#f-code", "Chengdu")
    page.click("#region-preview")
    expect(page.locator("#f-code-error")).to_have_text("只能用小写字母、数字和“-”，最多 40 个字符。")
    fits(page, "region error")
    screenshot(page, "regions-city-error")
    new_region(page, screenshot, {"code": "chengdu", "name_zh": "成都市", "name_en": "Chengdu"}, "city")
    expect(page.locator("h1")).to_have_text("成都市")

    page.click("text=新建民政局账号")
    expect(page.locator("#role")).to_have_value("bureau")
    expect(page.locator("#region")).to_have_value("chengdu")
    expect(page.locator("#office")).to_be_hidden()  # a bureau belongs to a region, not an office
    page.fill("#username", "chengdu.bureau")
    page.fill("#password", PASSWORD)
    fits(page, "account form")
    screenshot(page, "regions-bureau-form")
    page.click("#create-account")
    expect(page.locator(".flash-ok")).to_contain_text("chengdu.bureau")
    expect(page.locator("tr[data-user='chengdu.bureau'] td.place")).to_have_text("成都市")
    page.select_option("#role", "clerk")  # a clerk: the office, not the region
    expect(page.locator("#office")).to_be_visible()
    expect(page.locator("#region")).to_be_hidden()
    fits(page, "accounts")
    screenshot(page, "regions-accounts")

    page.goto(f"{live_server}/staff/admin/regions")
    expect(page.locator("li[data-region='sichuan'] li[data-region='chengdu']")).to_contain_text("chengdu.bureau")
    fits(page, "tree")
    screenshot(page, "regions-tree")
    context.close()


@pytest.mark.parametrize("lang", ["zh-Hant", "en"])
def test_the_region_pages_fit_a_phone_in_each_language(app, live_server, browser, screenshot, lang):
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    log_in(page, live_server, lang)
    page.goto(f"{live_server}/staff/admin/regions/new")
    new = {"code": "jiangsu", "name_zh": "江苏省", "name_en": "Jiangsu Province"}
    for field, value in new.items():
        page.fill(f"#f-{field}", value)
    page.click("#region-preview")
    page.click("#confirm-setup")
    for path in ("admin/regions", "admin/regions/new?parent=jiangsu", "regions/jiangsu/admin", "admin/accounts"):
        page.goto(f"{live_server}/staff/{path}")
        fits(page, f"{lang} {path}")
        screenshot(page, f"regions-{lang}-{path.split('?')[0].replace('/', '-')}")
    context.close()
