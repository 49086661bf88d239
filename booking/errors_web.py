"""App-wide error answers: a database outage is a clear 503, and nothing is a bare 500 page.

A database that is unreachable, locked past its busy timeout, or refusing a lock within its
lock_timeout raises an OperationalError somewhere inside a request. Each domain operation owns
its transaction, so nothing was committed; the session is rolled back when the request ends and
the next request gets a fresh connection (pool_pre_ping drops dead ones), so the service
recovers by itself when the database comes back.

The answer is 503 with Retry-After: JSON `{"error": "unavailable", "message", "fields"}` under
/api/, a small page in both languages elsewhere. Blueprints that catch every exception
themselves (the API answers its own JSON 500) still end up with a 503: an engine hook notes the
outage on `g`, and an after_request turns that request's 500 into the 503.

Logs name the error's class only: SQLAlchemy's messages carry the statement's parameters
(phone numbers, names), which must not reach the logs.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, has_request_context, jsonify, make_response, request
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import InternalServerError

from .extensions import db
from .i18n import HANT, choose, html_lang, request_lang

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
OUTAGE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)

MESSAGES = {
    503: ("unavailable",
          "服务暂时不可用，本次操作未能完成。请一分钟后再试。",
          "The service is briefly unavailable and your request could not be completed. "
          "Please try again in a minute."),
    # Not "nothing was saved": an error after a commit (while showing the answer) is possible.
    500: ("server_error",
          "服务器出错，请稍后再试。如您刚提交了预约，请先查看是否收到确认短信。",
          "Something went wrong on our side. Please try again shortly; if you had just booked, "
          "first check whether a confirmation text arrived."),
}
TITLES = {503: ("服务暂时不可用", "Service briefly unavailable"),
          500: ("服务器出错", "Something went wrong")}


def init_app(app: Flask) -> None:
    """Register the handlers and the engine hook (call after the blueprints)."""
    app.register_error_handler(sa_exc.OperationalError, _outage)
    app.register_error_handler(sa_exc.InterfaceError, _outage)
    app.register_error_handler(sa_exc.TimeoutError, _outage)
    app.register_error_handler(InternalServerError, _server_error)
    app.after_request(_outage_wins)
    with app.app_context():
        event.listen(db.engine, "handle_error", _note_outage)


def is_outage(error: BaseException | None) -> bool:
    return isinstance(error, OUTAGE_ERRORS)


def _note_outage(context) -> None:
    """Engine hook: remember that this request met a database outage (the error goes on)."""
    if has_request_context() and (context.is_disconnect or is_outage(context.sqlalchemy_exception)):
        g.database_outage = True


def _is_api() -> bool:
    return request.path.startswith("/api/")


def error_answer(status: int):
    """The 503 or 500 answer for this request: JSON under /api/, a bilingual page elsewhere."""
    code, zh, en = MESSAGES[status]
    if _is_api():
        response = jsonify(error=code, message=choose(request_lang(), zh, en), fields={})
        response.status_code = status
    else:
        # Rendered without the app's context processors: they may need the database (the
        # logged-in staff user, for one), which is what just failed.
        chinese = HANT if request_lang() == HANT else "zh"  # the reader's script, then English
        html = current_app.jinja_env.get_template("errors/status.html").render(
            status=status, chinese_tag=html_lang(chinese), title_zh=choose(chinese, TITLES[status][0], ""),
            title_en=TITLES[status][1], message_zh=choose(chinese, zh, ""), message_en=en,
            home_zh=choose(chinese, "返回首页", ""), home=request.script_root + "/")
        response = make_response(html, status)
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _outage(error: Exception):
    # The route's pattern, not the path: a manage link's path carries its token.
    route = request.url_rule.rule if request.url_rule else "(no route)"
    log.warning("database unavailable on %s %s (%s)", request.method, route,
                type(getattr(error, "orig", None) or error).__name__)
    rollback_quietly()
    return error_answer(503)


def _server_error(error: InternalServerError):
    original = getattr(error, "original_exception", None)
    if is_outage(original):
        return _outage(original)
    return error_answer(500)


def _outage_wins(response):
    """A 500 answered by a blueprint's own catch-all becomes the 503 when the database was out."""
    if response.status_code == 500 and g.get("database_outage"):
        rollback_quietly()
        return error_answer(503)
    return response


def rollback_quietly() -> None:
    """End the failed transaction; on a lost connection the pool drops it, nothing to raise."""
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        pass
