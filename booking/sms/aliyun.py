"""Alibaba Cloud SMS (dysmsapi 2017-05-25) through the official SDK: SendSms with the sign
name, the kind's template code, its variables as JSON and our outbox id as OutId.

Replies come back as uplink messages (上行短信) by HTTP batch push (webhooks.py), so every
mainland number reached over this route can answer. The SDK's own retries are off (SendSms is
not idempotent; the outbox retries). ALIYUN_SMS_ENDPOINT may be a URL (`http://127.0.0.1:9000`
in tests): its host and port become the SDK's endpoint and its scheme the protocol.

Errors (help.aliyun.com, 国内消息API错误码): throttling (isv.BUSINESS_LIMIT_CONTROL, the day
and month limits, Throttling.*), the account (isv.AMOUNT_NOT_ENOUGH, isv.OUT_OF_SERVICE,
credentials and RAM permission: being fixed) and server errors (isp.*, 5xx) are temporary;
a bad number, template, signature, parameter or content is permanent.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.models import Config
from darabonba.policy.retry import RetryOptions
from darabonba.runtime import RuntimeOptions
from Tea.exceptions import TeaException

from . import aliyun_templates as templates
from .gateway import DEFAULT_TIMEOUT, Gateway, PermanentFailure, SendResult, TemporaryFailure, Text

DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"
# Temporary whatever the HTTP status: throttling, limits, the account being topped up or its
# credentials and permissions being fixed. Retry-After in seconds where the limit says when.
TEMPORARY = {"isv.BUSINESS_LIMIT_CONTROL": 60, "isv.DAY_LIMIT_CONTROL": 3600,
             "isv.MONTH_LIMIT_CONTROL": 3600, "isv.AMOUNT_NOT_ENOUGH": None,
             "isv.OUT_OF_SERVICE": None, "isv.ACCOUNT_ABNORMAL": None,
             "isp.RAM_PERMISSION_DENY": None, "isp.SYSTEM_ERROR": None,
             "SignatureDoesNotMatch": None, "InvalidAccessKeyId.NotFound": None,
             "InvalidAccessKeyId.Inactive": None, "ServiceUnavailable": None,
             "InternalError": None}


def endpoint_config(endpoint: str | None) -> dict:
    """Config arguments from ALIYUN_SMS_ENDPOINT: a bare host (HTTPS) or a URL."""
    if not endpoint:
        return {"endpoint": DEFAULT_ENDPOINT, "protocol": "https"}
    if "://" not in endpoint:
        return {"endpoint": endpoint.strip("/"), "protocol": "https"}
    parts = urlsplit(endpoint)
    return {"endpoint": parts.netloc, "protocol": parts.scheme}


def classify(code: str, status: int | None = None, retry_after: float | None = None) -> Exception:
    """TemporaryFailure or PermanentFailure for one of Alibaba Cloud's answers."""
    code = code or f"HTTP {status}"
    if code in TEMPORARY or code.startswith(("isp.", "Throttling")) or (status or 0) >= 500:
        wait = retry_after if retry_after is not None else TEMPORARY.get(code)
        return TemporaryFailure(code, retry_after=wait, code=code)
    return PermanentFailure(code, "rejected by Alibaba Cloud")


def national(phone: str) -> str:
    """The number as SendSms takes it: 11 digits for the mainland, 00 + country code otherwise."""
    return phone[3:] if phone.startswith("+86") else "00" + phone.lstrip("+")


class AliyunGateway(Gateway):
    """Alibaba Cloud SMS: templates and an approved signature; uplink replies."""

    name = "aliyun"

    def __init__(self, access_key_id: str, access_key_secret: str, *, sign_name: str,
                 template_codes: dict | None = None, endpoint: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT):
        if not (access_key_id and access_key_secret and sign_name):
            raise RuntimeError("SMS_BACKEND aliyun needs ALIBABA_CLOUD_ACCESS_KEY_ID, "
                               "ALIBABA_CLOUD_ACCESS_KEY_SECRET and ALIYUN_SMS_SIGN_NAME")
        millis = int(timeout * 1000)
        self.client = Client(Config(
            access_key_id=access_key_id, access_key_secret=access_key_secret,
            read_timeout=millis, connect_timeout=millis, retry_options=RetryOptions({"retryable": False}),
            **endpoint_config(endpoint)))
        self.sign_name = sign_name
        self.codes = {**templates.DEFAULT_CODES, **(template_codes or {})}

    @staticmethod
    def accepts_replies(phone: str) -> bool:
        """Uplink replies reach us from mainland numbers."""
        return phone.startswith("+86")

    def request(self, to: str, text: Text, message_id: int) -> sms_models.SendSmsRequest:
        """The SendSms request of one text. PermanentFailure if the kind has no template."""
        if text.legacy_body is not None or text.kind not in templates.TEMPLATES:
            raise PermanentFailure("no_template", f"no Alibaba Cloud template for {text.kind}")
        try:
            params = templates.template_params(text.kind, text.values)
        except KeyError as missing:
            raise PermanentFailure("no_value", f"{text.kind} lacks {missing}") from None
        return sms_models.SendSmsRequest(
            phone_numbers=national(to), sign_name=self.sign_name,
            template_code=self.codes[text.kind], out_id=str(message_id),
            template_param=json.dumps(params, ensure_ascii=False) if params else None)

    def send(self, *, to: str, text: Text, message_id: int,
             status_callback: str | None = None) -> SendResult:
        request = self.request(to, text, message_id)
        try:
            response = self.client.send_sms_with_options(request, RuntimeOptions(autoretry=False))
        except AlibabaCloudException as error:
            raise classify(error.code, error.status_code, getattr(error, "retry_after", None)) from None
        except TeaException as error:  # no answer: refused, reset, timed out
            raise TemporaryFailure(f"network: {type(error).__name__}") from None
        body = response.body
        if body is None or body.code != "OK":
            raise classify(body.code if body else "", response.status_code)
        return SendResult(provider_sid=body.biz_id or f"ALIYUN{message_id}", status="queued")
