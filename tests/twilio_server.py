"""A Twilio-compatible test server on 127.0.0.1 (a random port, one thread per request).

It implements what our gateway uses of Twilio's REST API, the way Twilio answers it:
`POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP basic auth (account SID and
auth token), 201 with the message resource, or Twilio's error JSON. After accepting a
message it posts signed status callbacks (sent, then delivered) to the message's
StatusCallback URL, signed over that URL exactly as Twilio would, but delivered to the
app's live server (as a proxy in front of the app would).

Faults are scripted per request with `script(...)`: "ok", ("status", 500),
("status", 429, retry_after), ("error", 400, 21211), ("slow", seconds): sleep, then accept
(so a client that timed out never learns it was accepted, as happens with Twilio).
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import email.utils
import json
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import requests
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "5e" * 16
AUTH_TOKEN = "test-twilio-auth-token-0123456789"
FROM_NUMBER = "+15005550006"


PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")
# As Twilio words them: a refused number is quoted in the message.
ERRORS = {21211: "The 'To' number {to} is not a valid phone number.",
          21610: "Attempt to send to unsubscribed recipient",
          21614: "'To' number is not a valid mobile number",
          20429: "Too Many Requests"}


class TwilioTestServer:
    def __init__(self, account_sid: str, auth_token: str, *, public_base: str,
                 app_base: str | None = None, callbacks=("sent", "delivered")):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.public_base, self.app_base = public_base.rstrip("/"), app_base
        self.callbacks = tuple(callbacks)
        self.lock = threading.Lock()
        self.plan: collections.deque = collections.deque()
        self.messages: list[dict] = []  # accepted messages, in order
        self.requests = 0  # every create request, accepted or not
        self.callback_threads: list[threading.Thread] = []
        self.callback_results: list[int] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        # Polling every 0.05 s, not 0.5: stop() waits for the next poll.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # --- control ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def start(self) -> TwilioTestServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def script(self, *steps) -> None:
        """What the next requests get, in order; afterwards every request is accepted."""
        with self.lock:
            self.plan.extend(steps)

    def wait_callbacks(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        for thread in list(self.callback_threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    def sent_to(self, phone: str) -> list[dict]:
        with self.lock:
            return [m for m in self.messages if m["to"] == phone]

    # --- the API ------------------------------------------------------------------------------

    def _next_step(self):
        with self.lock:
            self.requests += 1
            return self.plan.popleft() if self.plan else "ok"

    def _authorised(self, header: str, path_sid: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return path_sid == self.account_sid and header == f"Basic {expected}"

    def _accept(self, form: dict) -> dict:
        sid = "SM" + uuid.uuid4().hex
        now = email.utils.format_datetime(dt.datetime.now(dt.UTC), usegmt=True)
        message = {
            "sid": sid, "account_sid": self.account_sid, "to": form.get("To"),
            "from": form.get("From"), "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body", ""), "status": "queued", "num_segments": "1",
            "num_media": "0", "direction": "outbound-api", "api_version": "2010-04-01",
            "date_created": now, "date_updated": now, "date_sent": None, "price": None,
            "error_code": None, "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            "status_callback": form.get("StatusCallback"),
        }
        with self.lock:
            self.messages.append(message)
        if message["status_callback"] and self.callbacks:
            thread = threading.Thread(target=self._post_callbacks, args=(message,), daemon=True)
            self.callback_threads.append(thread)
            thread.start()
        return message

    def _post_callbacks(self, message: dict) -> None:
        """Signed over the public URL (what Twilio calls), delivered to the app's server."""
        url = message["status_callback"]
        target = url.replace(self.public_base, self.app_base, 1) if self.app_base else url
        validator = RequestValidator(self.auth_token)
        for status in self.callbacks:
            params = {"MessageSid": message["sid"], "SmsSid": message["sid"],
                      "AccountSid": self.account_sid, "MessageStatus": status,
                      "SmsStatus": status, "To": message["to"], "From": message["from"] or ""}
            signature = validator.compute_signature(url, params)
            response = requests.post(target, data=params, timeout=10,
                                     headers={"X-Twilio-Signature": signature})
            with self.lock:
                self.callback_results.append(response.status_code)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _json(self, status: int, payload: dict, headers: dict | None = None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, code: int, headers: dict | None = None, to: str = ""):
                self._json(status, {"code": code, "message": ERRORS.get(code, "error").replace("{to}", to),
                                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                                    "status": status}, headers)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                match = PATH.match(self.path)
                if not match:
                    return self._error(404, 20404)
                if not server._authorised(self.headers.get("Authorization", ""), match[1]):
                    return self._error(401, 20003)
                step = server._next_step()
                kind = step if isinstance(step, str) else step[0]
                try:
                    self._respond(kind, step, form)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and hung up; the message was still accepted

            def _respond(self, kind, step, form):
                if kind == "slow":
                    time.sleep(step[1])
                elif kind == "status":
                    headers = {"Retry-After": str(step[2])} if len(step) > 2 else {}
                    return self._error(step[1], 20429 if step[1] == 429 else 20500, headers)
                elif kind == "error":
                    return self._error(step[1], step[2], to=form.get("To", ""))
                if not form.get("To") or not form.get("Body"):
                    return self._error(400, 21211)
                self._json(201, server._accept(form))

        return Handler


# --- for the tests ----------------------------------------------------------------------

def twilio_config(api_base_url: str) -> dict:
    return dict(SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                TWILIO_FROM_NUMBER=FROM_NUMBER, TWILIO_API_BASE_URL=api_base_url,
                SMS_SEND_TIMEOUT=0.5)


def closed_port_url() -> str:
    """A local URL where nothing listens (the provider is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def serve_twilio(app, live_server):
    """The test server, and the app configured to send through it with the real SDK; its
    status callbacks reach the app's live server, signed for PUBLIC_BASE_URL.
    For a fixture: `yield from serve_twilio(app, live_server)`."""
    server = TwilioTestServer(ACCOUNT_SID, AUTH_TOKEN, public_base=app.config["PUBLIC_BASE_URL"],
                              app_base=live_server).start()
    app.config.update(twilio_config(server.url))
    yield server
    server.wait_callbacks()
    server.stop()
