"""The Alibaba Cloud SMS templates: the Chinese text to register for each kind, and its values.

In mainland China a text goes out under the registered signature (ALIYUN_SMS_SIGN_NAME,
added by the platform in 【】) through a template approved beforehand; we send its code
(ALIYUN_SMS_TEMPLATES: kind -> code, defaults `DEFAULT_CODES`) and its variables as JSON.
docs/sms.md lists these texts and variables for registration; tests/aliyun_server.py renders
them to check that every variable is sent.

Alibaba Cloud's rules for variables (help.aliyun.com, 通知短信模板规范 and the TemplateRule
examples of CreateSmsTemplate): `${name}` with letters, digits and underscores; not two
variables side by side; no 【】 in the text; a link only as fixed text with the filed domain,
its path may be a variable (变量属性 链接参数); a value at most 35 characters (we cut longer
ones); a verification code template holds one variable of 4-6 digits. `{base}` below stands
for PUBLIC_BASE_URL, written into the template as fixed text. Like every text we send, each
fits two segments with realistic values (tests/test_sms_aliyun.py counts them).

Alibaba Cloud's templates are fixed, so they cannot name the reference only when a phone has
several bookings: each one that asks for a reply says how to name it ("多个预约请加预约号").
"""

from __future__ import annotations

import re

MAX_VALUE = 35  # characters in one variable's value
# A closure reason is cut shorter, so that the text stays within two segments (docs/contract.md)
# with a PUBLIC_BASE_URL of up to 33 characters.
MAX_REASON = 18

TEMPLATES: dict[str, str] = {
    "verification_code": "您的验证码为${code}，10分钟内有效，请勿告诉他人。",
    "booked": "已预约${service}，${time}，预约号${ref}。回复1确认，2取消，多个预约请加预约号："
              "{base}/${link}",
    "rescheduled": "您的预约${ref}已改到${time}，地点${office}。详情：{base}/${link}",
    "cancelled": "您的预约${ref}（${time}，${office}）已取消。如需办理请重新预约：{base}/${link}",
    "cancelled_by_office": "因${reason}，预约${ref}（${time}）已取消，敬请谅解。重新预约：{base}/${link}",
    "reminder": "您${time}在${office}有预约${ref}，请先填写健康申报：{base}/${link}",
    "release_warning": "预约${ref}未确认，将于${deadline}释放。回复1确认（多个预约加预约号）或打开："
                       "{base}/${link}",
    "released": "预约${ref}（${time}，${office}）未按时确认，名额已释放。重新预约：{base}/${link}",
    "reply_confirmed": "已确认您的预约${ref}：${time}，${office}。",
    "reply_cancelled": "已取消您的预约${ref}（${time}），名额已释放。",
    "reply_not_active": "预约${ref}已不能更改，详情请打开：{base}/${link}",
    "reply_help": "回复1确认、回复2取消您最近的预约${ref}，也可打开链接办理：{base}/${link}",
    "reply_choose": "您有多个有效预约：${refs}。请回复“1 预约号”确认，或回复“2 预约号”取消。",
    "reply_no_booking": "未找到此号码的有效预约。预约与查询请访问：{base}/",
}

DEFAULT_CODES = {kind: f"SMS_{kind.upper()}" for kind in TEMPLATES}

# Where each variable's value comes from (the values the worker composed, texts.py names).
SOURCES = {"code": "code", "ref": "reference", "office": "office_zh", "service": "service_zh",
           "time": "start", "deadline": "deadline_at", "reason": "reason", "refs": "references",
           "link": "manage_path"}

VARIABLE = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_]*)\}")


def variables(kind: str) -> list[str]:
    """The variable names of the kind's template, in order."""
    return VARIABLE.findall(TEMPLATES[kind])


def cut(value: str, limit: int = MAX_VALUE) -> str:
    """A value on one line within `limit` characters (a longer one ends with …)."""
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[:limit - 1] + "…"


def template_params(kind: str, values: dict) -> dict[str, str]:
    """The TemplateParam object of a kind from the composed values. KeyError if one is missing."""
    return {name: cut(values[SOURCES[name]], MAX_REASON if name == "reason" else MAX_VALUE)
            for name in variables(kind)}
