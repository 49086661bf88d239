"""Care mode (长辈版) of the citizen pages: larger text and targets, one question per screen.

`?mode=care` turns it on and `?mode=standard` off, remembered by a cookie that holds only that
word; every citizen page carries the switch (templates/base.html). The measures follow the MIIT
specification for elderly-friendly websites, 《互联网网站适老化通用设计规范》 (2021): text of at
least 18 CSS px with line height 1.3 or more, targets of the main flow 60 px high, 4.5:1 contrast,
no lost input and no time pressure (static/site.css, static/booking.js, docs/contract.md, third-wave additions).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request

from . import bp

MODES = ("standard", "care")
COOKIE = "mode"
COOKIE_DAYS = 365


def chosen_mode() -> str | None:
    """The mode a citizen page's address asks for (`?mode=`), if it names one."""
    chosen = request.args.get("mode")
    return chosen if chosen in MODES and not request.path.startswith("/api/") else None


def page_mode() -> str:
    """"care" or "standard": the address's choice first, then the remembered one."""
    return chosen_mode() or ("care" if request.cookies.get(COOKIE) == "care" else "standard")


@bp.after_app_request
def remember_mode(response):
    """Remember a mode chosen in the address for the next pages (the cookie holds only the word)."""
    chosen = chosen_mode()
    if chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_DAYS * 86400, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


def switch_url(key: str, value: str) -> str:
    """This page with `key` set to `value` (a language, a mode); a form answer (POST) switches on
    its form's own page, without the form's answers in the address."""
    path = request.path
    if request.method != "GET" and path.endswith("/code"):
        path = path[: -len("/code")]  # "send code" answers on the booking form's own address
    args = request.args.to_dict() if request.method == "GET" else {}
    args[key] = value
    return f"{path}?{urlencode(args)}"


@bp.app_context_processor
def care_context():
    care = page_mode() == "care"
    return {"care": care, "mode_switch_url": switch_url("mode", "standard" if care else "care"),
            "posted": request.method == "POST"}
