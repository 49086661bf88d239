"""Helpers for the citizen-page tests: read forms as a browser would and post them back."""

from __future__ import annotations

import html
import re

from tests.factories import PHONE, last_code, visitor


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else ""


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form_data(page: str, visitors: list[dict], phone: str = PHONE, lang: str = "zh",
              code: str = "", people: int | None = None) -> dict:
    data = {"csrf_token": csrf_token(page), "people": str(people or len(visitors)), "phone": phone,
            "lang": lang, "verification_id": hidden(page, "verification_id"), "code": code}
    for i, person in enumerate(visitors):
        for key, value in person.items():
            data[f"visitors-{i}-{key}"] = value
    return data


def open_form(client, slot_id: int, lang: str = "zh", people: int | None = None) -> str:
    query = f"?lang={lang}" + (f"&people={people}" if people else "")
    response = client.get(f"/book/slot/{slot_id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def send_code(client, slot_id: int, visitors: list[dict], phone: str = PHONE, lang: str = "zh"):
    """Fill the form, press "Send code": the answer is the same form with the verification id."""
    page = open_form(client, slot_id, lang, len(visitors))
    return client.post(f"/book/slot/{slot_id}/code", data=form_data(page, visitors, phone, lang))


def book(client, slot_id: int, visitors: list[dict] | None = None, phone: str = PHONE,
         lang: str = "zh", code: str | None = None):
    """The whole form: send the code, read it from the outbox, book. Returns the last response."""
    visitors = visitors or [visitor(1), visitor(2)]
    sent = send_code(client, slot_id, visitors, phone, lang)
    assert sent.status_code == 200, sent.get_data(as_text=True)
    page = sent.get_data(as_text=True)
    if code is None:
        with client.application.app_context():
            code = last_code(phone)
    return client.post(f"/book/slot/{slot_id}", data=form_data(page, visitors, phone, lang, code))
