"""The home page lists offices and services with their next free days, in both languages."""

import pytest

from booking.demo import load_demo

from .conftest import make_app


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo()
    return app


def test_home_lists_every_office_with_free_days_in_chinese(demo, client):
    page = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    for name in ("静安区婚姻登记处", "龙华殡仪服务中心", "滨海古园", "结婚登记", "预约祭扫"):
        assert name in page
    assert "近期可约" in page


def test_home_follows_accept_language_and_the_lang_choice(demo, client):
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert "Jing&#39;an District Marriage Registry" in english
    assert "Next free days" in english
    chosen = client.get("/?lang=zh", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "滨海古园" in chosen and "Next free days" not in chosen


def test_healthz_reports_the_database(client):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable():
    app = make_app("sqlite:////nonexistent-directory/booking.db")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


@pytest.mark.browser
def test_home_on_a_phone(demo, live_server, page, screenshot):
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "选择办理地点和业务"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing may overflow a 390 px phone screen"
    screenshot(page, "home-zh")
