"""Checks real API answers against the OpenAPI document at /api/v1/openapi.json.

`CheckedClient` wraps Flask's test client: every answer it receives must be documented for
its path, method and status, and a JSON answer must match the documented schema.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(regex + "$")


def operation_for(doc: dict, method: str, path: str) -> dict:
    """The documented operation for a real path (most specific template first)."""
    candidates = [t for t in doc["paths"] if _pattern(t).match(path)]
    assert candidates, f"{path} is not documented"
    template = min(candidates, key=lambda t: t.count("{"))
    operation = doc["paths"][template].get(method.lower())
    assert operation is not None, f"{method} {template} is not documented"
    return operation


def check_response(doc: dict, method: str, url: str, response) -> None:
    """Fail unless the answer is documented and its JSON body matches the schema."""
    operation = operation_for(doc, method, urlsplit(url).path)
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, (
        f"{method} {url} answered {response.status_code}, which is not documented: "
        f"{response.get_data(as_text=True)[:300]}")
    content = documented.get("content", {})
    media = response.mimetype
    assert media in content, f"{method} {url} {response.status_code}: {media} not documented"
    schema = content[media].get("schema")
    if media == "application/json" and schema is not None:
        root = {**schema, "components": doc["components"]}
        Draft202012Validator(root, format_checker=FormatChecker()).validate(response.get_json())


class CheckedClient:
    """The test client, checking each answer against the document."""

    def __init__(self, client):
        self.client = client
        self.doc = client.get("/api/v1/openapi.json").get_json()

    def open(self, method: str, url: str, **kwargs):
        response = self.client.open(url, method=method, **kwargs)
        check_response(self.doc, method, url, response)
        return response

    def get(self, url: str, **kwargs):
        return self.open("GET", url, **kwargs)

    def post(self, url: str, **kwargs):
        return self.open("POST", url, **kwargs)
