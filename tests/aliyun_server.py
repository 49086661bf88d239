"""An Alibaba Cloud SMS-compatible test server on 127.0.0.1 (a random port, one thread per request).

It implements what our gateway uses of dysmsapi 2017-05-25, the way Alibaba Cloud answers it:
`SendSms` (RPC style: Action and the parameters in the query string, signed with an
`Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,...` header), answering
`{"Code": "OK", "BizId": ...}` or an error `Code` with HTTP 200 (business errors such as
isv.BUSINESS_LIMIT_CONTROL) or 4xx/5xx. Like the real service, it checks the template: the
TemplateCode must be a registered one, TemplateParam must carry exactly that template's
variables, each at most 35 characters, and the number must be a mainland mobile number.
Accepted messages are kept with their rendered text (signature in 【】, as the phone shows it).

Faults are scripted per request with `script(...)`: "ok", ("code", "isv.BUSINESS_LIMIT_CONTROL")
(HTTP 200 with that Code), ("status", 503, "ServiceUnavailable"), ("slow", seconds).
The uplink and receipt pushes go the other way: tests post them to the app themselves.
"""

from __future__ import annotations

import collections
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from booking.sms import aliyun_templates

ACCESS_KEY_ID = "LTAI5tTestAccessKeyId00"
ACCESS_KEY_SECRET = "test-access-key-secret-0123456789"
SIGN_NAME = "民政预约"
CALLBACK_TOKEN = "push-token-5e5e5e5e5e5e5e5e"
CODES = {kind: f"SMS_4{n:08d}" for n, kind in enumerate(aliyun_templates.TEMPLATES, start=1)}
PUBLIC_BASE = "https://booking.example.gov.cn"


class AliyunTestServer:
    def __init__(self, *, codes: dict | None = None, public_base: str = PUBLIC_BASE):
        self.kinds = {code: kind for kind, code in (codes or CODES).items()}
        self.public_base = public_base
        self.lock = threading.Lock()
        self.plan: collections.deque = collections.deque()
        self.messages: list[dict] = []  # accepted messages, in order
        self.requests = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        # Polling every 0.05 s, not 0.5: stop() waits for the next poll.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def start(self) -> AliyunTestServer:
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

    def sent_to(self, number: str) -> list[dict]:
        """Accepted messages to a number (11 digits, or +86...)."""
        number = number[3:] if number.startswith("+86") else number
        with self.lock:
            return [m for m in self.messages if m["phone"] == number]

    def _next_step(self):
        with self.lock:
            self.requests += 1
            return self.plan.popleft() if self.plan else "ok"

    def check(self, query: dict) -> tuple[str, dict | None]:
        """("OK", message) or (error code, None), as SendSms validates a request."""
        phone = query.get("PhoneNumbers", "")
        if not (len(phone) == 11 and phone.isdigit() and phone[0] == "1"):
            return "isv.MOBILE_NUMBER_ILLEGAL", None
        if query.get("SignName") != SIGN_NAME:
            return "isv.SMS_SIGNATURE_ILLEGAL", None
        kind = self.kinds.get(query.get("TemplateCode", ""))
        if kind is None:
            return "isv.SMS_TEMPLATE_ILLEGAL", None
        try:
            params = json.loads(query.get("TemplateParam") or "{}")
        except ValueError:
            return "isv.INVALID_JSON_PARAM", None
        if set(params) != set(aliyun_templates.variables(kind)):
            return "isv.TEMPLATE_MISSING_PARAMETERS", None
        if any(not str(v) or len(str(v)) > aliyun_templates.MAX_VALUE for v in params.values()):
            return "isv.PARAM_LENGTH_LIMIT", None
        return "OK", {"phone": phone, "kind": kind, "template_code": query["TemplateCode"],
                      "params": params, "out_id": query.get("OutId"), "biz_id": uuid.uuid4().hex[:20],
                      "text": f"【{SIGN_NAME}】" + self.render(kind, params)}

    def render(self, kind: str, params: dict) -> str:
        text = aliyun_templates.TEMPLATES[kind].replace("{base}", self.public_base)
        for name, value in params.items():
            text = text.replace("${" + name + "}", str(value))
        return text

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _json(self, status: int, payload: dict):
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _answer(self, status: int, code: str, **extra):
                self._json(status, {"Code": code, "Message": "OK" if code == "OK" else code,
                                    "RequestId": str(uuid.uuid4()).upper(), **extra})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode()) if length else {}
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in {**parse_qs(parts.query), **form}.items()}
                if query.get("Action", self.headers.get("x-acs-action")) != "SendSms":
                    return self._answer(404, "InvalidAction.NotFound")
                auth = self.headers.get("Authorization", "")
                if f"Credential={ACCESS_KEY_ID}," not in auth:
                    return self._answer(403, "InvalidAccessKeyId.NotFound")
                step = server._next_step()
                try:
                    self._respond(step, query)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and hung up; the message was still accepted

            def _respond(self, step, query):
                kind = step if isinstance(step, str) else step[0]
                if kind == "slow":
                    time.sleep(step[1])
                elif kind == "code":
                    return self._answer(200, step[1])
                elif kind == "status":
                    return self._answer(step[1], step[2])
                code, message = server.check(query)
                if message is None:
                    return self._answer(200, code)
                with server.lock:
                    server.messages.append(message)
                self._answer(200, "OK", BizId=message["biz_id"])

        return Handler


# --- for the tests ----------------------------------------------------------------------

def aliyun_config(endpoint: str, backend: str = "aliyun") -> dict:
    return dict(SMS_BACKEND=backend, ALIBABA_CLOUD_ACCESS_KEY_ID=ACCESS_KEY_ID,
                ALIBABA_CLOUD_ACCESS_KEY_SECRET=ACCESS_KEY_SECRET, ALIYUN_SMS_SIGN_NAME=SIGN_NAME,
                ALIYUN_SMS_TEMPLATES=json.dumps(CODES), ALIYUN_SMS_ENDPOINT=endpoint,
                ALIYUN_SMS_CALLBACK_TOKEN=CALLBACK_TOKEN, SMS_SEND_TIMEOUT=0.5)


def serve_aliyun(app, backend: str = "aliyun"):
    """The test server, and the app configured to send through it with the real SDK.
    For a fixture: `yield from serve_aliyun(app)`."""
    server = AliyunTestServer(public_base=app.config.get("PUBLIC_BASE_URL") or PUBLIC_BASE).start()
    app.config.update(aliyun_config(server.url, backend))
    yield server
    server.stop()


def uplink(phone: str, content: str, sequence_id: int, **extra) -> dict:
    """One SmsUp item as Alibaba Cloud pushes it (phone_number without +86)."""
    return {"phone_number": phone.removeprefix("+86"), "send_time": "2026-12-01 10:00:00",
            "content": content, "sign_name": SIGN_NAME, "dest_code": "1234",
            "sequence_id": sequence_id, **extra}


def receipt(message: dict, success: bool = True, err_code: str = "DELIVERED") -> dict:
    """One SmsReport item for an accepted message."""
    return {"phone_number": message["phone"], "send_time": "2026-12-01 10:00:00",
            "report_time": "2026-12-01 10:00:05", "success": success, "err_code": err_code,
            "err_msg": "用户接收成功" if success else "失败", "sms_size": "1",
            "biz_id": message["biz_id"], "out_id": message["out_id"]}
