"""The Alibaba Cloud push token (the path segment after /sms/aliyun/) and any `token=` never reach
the app's own logs: Flask's "Exception on <path>" line, its traceback, lines of booking.* loggers,
in the plain and the JSON format (issue 27). gunicorn's access and error logs:
tests/test_logs_gunicorn.py."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask import request
from flask.logging import default_handler

from .conftest import make_app
from .test_metrics import json_log_lines

SECRET = "Pw7PushTokenNotForLogs"


def failing_app(tmp_path, **config):
    # No CSRF check, as for the sms blueprint (a provider sends no token): turned off for this
    # app alone, since csrf.exempt() would mark the view on the shared extension for every app.
    app = make_app(f"sqlite:///{tmp_path / 'push.db'}", PROPAGATE_EXCEPTIONS=False,
                   ALIYUN_SMS_CALLBACK_TOKEN=SECRET, WTF_CSRF_ENABLED=False, **config)

    @app.post("/sms/aliyun/<token>/fails")
    def fails(token):
        # An error whose message quotes the address, as a library's may (an HTTP client's, a
        # parser's): the traceback then holds the token too.
        logging.getLogger("booking.sms").warning("push to %s not handled", request.url)
        raise RuntimeError(f"could not handle {request.url}")

    if default_handler not in app.logger.handlers:  # another test's JSON handler may have replaced it
        app.logger.addHandler(default_handler)
    return app


@pytest.mark.parametrize("path", [f"/sms/aliyun/{SECRET}/fails", f"/sms/aliyun/{SECRET}/fails?token={SECRET}"])
def test_an_error_on_a_push_address_logs_no_token(tmp_path, path):
    app = failing_app(tmp_path)
    stream = io.StringIO()  # Flask's handler writes to the request's wsgi.errors: the server's error log
    response = app.test_client().post(path, json=[], errors_stream=stream)
    assert response.status_code == 500
    log = stream.getvalue()
    assert "Exception on /sms/aliyun/[redacted]/fails" in log, log
    assert "Traceback" in log and "RuntimeError: could not handle" in log, log
    assert "push to http://localhost/sms/aliyun/[redacted]/fails" in log, log
    assert SECRET not in log and SECRET[:8] not in log, log


def test_json_logs_show_no_push_token_either(tmp_path):
    app = failing_app(tmp_path, LOG_FORMAT="json")
    with json_log_lines(app) as stream:
        assert app.test_client().post(f"/sms/aliyun/{SECRET}/fails", json=[]).status_code == 500
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any("Traceback" in line.get("exc_info", "") for line in lines), lines
    assert SECRET not in stream.getvalue(), stream.getvalue()
