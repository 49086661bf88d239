"""Care mode (长辈版) on the server: ?mode= switches it, a cookie holding only the word remembers
it, every citizen page carries the switch in natural words, and the days come as a list."""

import pytest

from booking.demo import load_demo

SWITCH = {"zh": ("长辈版", "标准版"), "zh-Hant": ("長輩版", "標準版"), "en": ("Senior mode", "Standard mode")}


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo()
    return app


def is_care(page: str) -> bool:
    """Whether the page's root element is in care mode (site.css keys every rule on html.care)."""
    return 'class="care"' in page.split("<head>")[0]


def test_mode_care_is_remembered_by_a_cookie_of_one_word_until_mode_standard(demo, client):
    assert not is_care(client.get("/").get_data(as_text=True))
    switched = client.get("/?mode=care")
    cookie = switched.headers["Set-Cookie"]
    assert cookie.startswith("mode=care;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie
    assert is_care(switched.get_data(as_text=True))
    days = client.get("/book/jingan-registry/marriage").get_data(as_text=True)  # remembered
    assert is_care(days) and 'class="day-list"' in days and 'class="cal-grid"' not in days
    back = client.get("/book/jingan-registry/marriage?mode=standard")
    assert back.headers["Set-Cookie"].startswith("mode=standard;")
    assert not is_care(back.get_data(as_text=True)) and 'class="cal-grid"' in back.get_data(as_text=True)
    assert not is_care(client.get("/").get_data(as_text=True))


def test_an_unknown_mode_and_the_api_set_no_cookie(demo, client):
    assert "Set-Cookie" not in client.get("/?mode=large").headers
    assert "mode=" not in client.get("/api/v1/offices?mode=care").headers.get("Set-Cookie", "")


@pytest.mark.parametrize("lang", ["zh", "zh-Hant", "en"])
def test_every_citizen_page_carries_the_switch_in_its_language(demo, client, lang):
    to_care, to_standard = SWITCH[lang]
    for path in ("/", "/book/jingan-registry/marriage", "/m/NOPE/nope"):
        page = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        assert f'class="mode-switch" href="{path}?lang={lang}&amp;mode=care">{to_care}</a>' in page, path
    page = client.get(f"/book/jingan-registry/marriage?lang={lang}&mode=care").get_data(as_text=True)
    assert f'class="mode-switch" href="/book/jingan-registry/marriage?lang={lang}&amp;mode=standard">' \
           f'{to_standard}</a>' in page
