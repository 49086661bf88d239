"""Every error under /api/v1 is JSON {error, message, fields} in the request's language."""

from __future__ import annotations

import pytest

from booking import scheduling
from booking.api.errors import Body, InvalidBody

from .api_schema import CheckedClient
from .factories import setup_marriage_slot


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    answer = response.get_json()
    assert set(answer) == {"error", "message", "fields"}
    assert answer["error"] == code and answer["message"]
    return answer


@pytest.fixture
def api(ctx, client):
    return CheckedClient(client)


def test_an_unknown_api_path_is_a_json_404(client):
    assert_error_shape(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error_shape(client.post("/api/v1/bookings/X/explode"), 404, "not_found")


def test_pages_outside_the_api_keep_their_html_404(client):
    assert client.get("/no-such-page").mimetype == "text/html"


def test_a_wrong_method_is_a_json_405_with_allow(client):
    response = client.delete("/api/v1/offices")
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_a_clear_400(api):
    response = api.post("/api/v1/phone-verifications", data="{phone: 138",
                        content_type="application/json", headers={"Accept-Language": "en"})
    answer = assert_error_shape(response, 400, "malformed_json")
    assert answer["message"] == "The request body is not a valid JSON object."


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "null", "12"])
def test_a_json_body_that_is_not_an_object_is_400(api, payload):
    response = api.post("/api/v1/bookings", data=payload, content_type="application/json")
    assert_error_shape(response, 400, "malformed_json")


def test_a_form_body_is_415(api):
    response = api.post("/api/v1/phone-verifications", data={"phone": "13812345678"})
    assert_error_shape(response, 415, "unsupported_media_type")


def test_a_huge_body_is_413_before_it_is_read(api):
    response = api.post("/api/v1/bookings", data='{"phone": "' + "1" * 200_000 + '"}',
                        content_type="application/json")
    assert_error_shape(response, 413, "too_large")


def test_messages_follow_the_body_lang_then_accept_language_then_chinese(api):
    setup_marriage_slot()
    url = "/api/v1/phone-verifications"
    by_body = api.post(url, json={"phone": "12", "lang": "en"}, headers={"Accept-Language": "zh"})
    by_header = api.post(url, json={"phone": "12"}, headers={"Accept-Language": "en-GB,en;q=0.8"})
    default = api.post(url, json={"phone": "12"})
    assert by_body.get_json()["fields"]["phone"] == "Please enter a valid mobile number."
    assert by_header.get_json()["message"] == "Please enter a valid mobile number."
    assert default.get_json()["message"] == "请输入有效的手机号码。"


def test_an_unexpected_failure_in_an_api_route_is_a_json_500(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(scheduling, "service_days", broken)
    with app.app_context():
        setup_marriage_slot()
    response = client.get("/api/v1/availability?office=registry&service=marriage"
                          "&from=2026-12-01&to=2026-12-02", headers={"Accept-Language": "en"})
    answer = assert_error_shape(response, 500, "server_error")
    assert "database on fire" not in answer["message"]


def test_a_failure_outside_the_blueprint_is_still_json_on_api_paths(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/api/v1/_test_boom")
    def boom():
        raise RuntimeError("outside the blueprint")

    assert_error_shape(client.get("/api/v1/_test_boom"), 500, "server_error")


def test_an_html_error_page_from_an_app_wide_handler_is_replaced_on_the_api(app, client):
    # A pages area may register its own HTML 404 page for the whole app; it wins over ours
    # for unknown URLs, so the API's last guard must turn it back into JSON.
    app.register_error_handler(404, lambda error: ("<h1>Page not found</h1>", 404))
    assert_error_shape(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert client.get("/nothing-here").mimetype == "text/html"


def test_body_collects_every_field_error_with_both_languages():
    data = Body({"n": "7", "flag": "yes", "when": "2026-12-01T10:00", "items": [{"x": 1}, 3]})
    data.integer("n")
    data.boolean("flag")
    data.datetime("when")
    for item in data.objects("items"):
        item.string("x")
    data.string("absent")
    with pytest.raises(InvalidBody) as raised:
        data.done()
    messages = raised.value.field_messages("en")
    assert set(messages) == {"n", "flag", "when", "items.0.x", "items.1", "absent"}
    assert messages["when"] == "Must be an ISO 8601 time with an offset."
    assert raised.value.field_messages("zh")["absent"] == "此项必填。"


def test_body_accepts_good_values_and_optional_absences():
    data = Body({"n": 3, "t": 36.6, "flag": False, "day": "2026-12-01",
                 "when": "2026-12-01T10:00:00Z", "kind": "green"})
    assert data.integer("n") == 3 and data.number("t") == 36.6 and data.boolean("flag") is False
    assert data.date("day").isoformat() == "2026-12-01"
    assert data.datetime("when").utcoffset().total_seconds() == 0
    assert data.choice("kind", ("green", "yellow", "red")) == "green"
    assert data.string("note", required=False) is None
    data.done()
