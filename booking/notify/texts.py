"""The texts we send and the answers to replies, in Chinese and English.

Every text stays within two SMS segments (tests/test_sms_texts.py counts them with long,
realistic values): a kind may list a shorter variant that `render` falls back to when the
values are long, and a long free-text reason is cut as the last resort. Texts never suggest
Twilio's opt-out words (STOP, CANCEL, END, QUIT, UNSUBSCRIBE ...): replies use 1 and 2.
"""

from __future__ import annotations

MAX_SEGMENTS = 2
SIGN = "【民政预约】"

TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "verification_code": {
        "zh": (SIGN + "验证码{code}，10分钟内有效，请勿告诉他人。",),
        "en": ("Civil Affairs booking: your code is {code}. Valid for 10 minutes. "
               "Do not share it.",),
    },
    "booked": {
        "zh": (SIGN + "已预约{office}{service}，{when}，编号{reference}。回复1确认，2取消。查看：{link}",
               SIGN + "已预约{service}，{when}，编号{reference}。回复1确认，2取消。查看：{link}"),
        "en": ("Booked: {service}, {office}, {when}. Ref {reference}. Reply 1 to confirm, "
               "2 to give up the place. Manage: {link}",),
    },
    "rescheduled": {
        "zh": (SIGN + "预约{reference}已改到{when}，{office}。查看：{link}",
               SIGN + "预约{reference}已改到{when}。查看：{link}"),
        "en": ("Ref {reference} moved to {when}, {office}. Manage: {link}",),
    },
    "cancelled": {
        "zh": (SIGN + "预约{reference}（{when}，{office}）已取消。如需办理请重新预约：{link}",
               SIGN + "预约{reference}（{when}）已取消。如需办理请重新预约：{link}"),
        "en": ("Ref {reference} ({when}, {office}) is cancelled. To book again: {link}",),
    },
    "cancelled_by_office": {
        "zh": (SIGN + "因{reason}，您{when}在{office}的预约{reference}已取消，敬请谅解。重新预约：{link}",
               SIGN + "因{reason}，您{when}的预约{reference}已取消。重新预约：{link}"),
        "en": ("Sorry: {reason}. Your booking {reference} on {when} at {office} is cancelled. "
               "Book again: {link}",
               "Sorry: {reason}. Booking {reference} on {when} is cancelled. Book again: {link}"),
    },
    "reminder": {
        "zh": (SIGN + "明天{when}，{office}，编号{reference}。请填健康申报：{link}",
               SIGN + "明天{time}，{office}，编号{reference}。请填健康申报：{link}",
               SIGN + "明天{when}，编号{reference}。请填健康申报：{link}"),
        "en": ("Reminder: tomorrow {when} at {office}, ref {reference}. Please fill in the "
               "health declaration first: {link}",),
    },
    "release_warning": {
        "zh": (SIGN + "预约{reference}（{when}，{office}）未确认，{deadline}将释放。回复1确认或打开：{link}",
               SIGN + "预约{reference}（{when}）未确认，{deadline}将释放。回复1确认或打开：{link}"),
        "en": ("Ref {reference} ({when}, {office}) is not confirmed yet. The place will be "
               "released at {deadline}. Reply 1 to keep it, or open {link}",),
    },
    "released": {
        "zh": (SIGN + "预约{reference}（{when}，{office}）未按时确认，名额已释放。重新预约：{link}",
               SIGN + "预约{reference}（{when}）未按时确认，名额已释放。重新预约：{link}"),
        "en": ("Ref {reference} ({when}, {office}) was not confirmed by {deadline}, so the "
               "place was released. To book again: {link}",),
    },
    "waiting_joined": {
        "zh": (SIGN + "已登记{office}{service}{day}候补，编号{reference}，排第{position}位，"
               "有名额即短信通知。查看：{link}",
               SIGN + "已登记{office}{day}候补，编号{reference}，排第{position}位。查看：{link}"),
        "en": ("Waiting list: {service}, {office}, {day}, ref {reference}, number {position} "
               "in line. We text you if a place frees: {link}",
               "Waiting list: {office}, {day}, ref {reference}, number {position} in line: {link}"),
    },
    "waiting_offer": {
        "zh": (SIGN + "候补到名额：{service}，{when}，{office}。请于{expires}前领取，逾期顺延：{link}",
               SIGN + "候补到名额：{when}，{office}。请于{expires}前领取：{link}",
               SIGN + "候补到名额：{when}。请于{expires}前领取：{link}"),
        "en": ("A place is free for you: {service}, {office}, {when}. Claim it by {expires}, "
               "then it goes to the next in line: {link}",
               "A place is free for you: {when}, {office}. Claim it by {expires}: {link}"),
    },
}

# Answers to replies (sent back as TwiML; the same two-segment rule applies).
REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "confirmed": {
        "zh": (SIGN + "已确认预约{reference}：{when}，{office}。", SIGN + "已确认预约{reference}：{when}。"),
        "en": ("Confirmed: ref {reference}, {when}, {office}.",),
    },
    "cancelled": {
        "zh": (SIGN + "已取消预约{reference}（{when}），名额已释放。",),
        "en": ("Ref {reference} ({when}) is cancelled and the place released.",),
    },
    "not_active": {
        "zh": (SIGN + "预约{reference}已不能更改。查看：{link}",),
        "en": ("Ref {reference} can no longer be changed. Details: {link}",),
    },
    "help": {
        "zh": (SIGN + "回复1确认、2取消您最近的预约{reference}；也可打开链接办理：{link}",),
        "en": ("Reply 1 to confirm or 2 to give up your next booking {reference}, "
               "or open {link}",),
    },
    "no_booking": {
        "zh": (SIGN + "未找到此号码的有效预约。预约与查询请访问：{link}",),
        "en": ("We found no upcoming booking for this number. To book or look one up: {link}",),
    },
}

OPT_OUT_WORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE")

# GSM 03.38: the basic set (one septet each) and the extension table (two septets each).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = set("^{}\\[~]|€\f")


def segments(text: str) -> int:
    """How many SMS parts a text travels in: GSM-7 160, or 153 per part when split;
    otherwise UCS-2, 70, or 67 UTF-16 code units per part."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if units <= single else -(-units // part)


def render(kind: str, lang: str, **values) -> str:
    """The text of `kind` in `lang` ("en" or Chinese), within two segments."""
    return _fit(TEXTS[kind]["en" if lang == "en" else "zh"], values)


def reply(kind: str, lang: str, **values) -> str:
    """The answer to an SMS reply, within two segments."""
    return _fit(REPLIES[kind]["en" if lang == "en" else "zh"], values)


def _fit(variants: tuple[str, ...], values: dict) -> str:
    """The first variant that fits; else the shortest with its free-text reason cut to fit."""
    for template in variants:
        text = template.format(**values)
        if segments(text) <= MAX_SEGMENTS:
            return text
    reason = str(values.get("reason", ""))
    while reason:
        reason = reason[:-1]
        text = variants[-1].format(**{**values, "reason": reason + "…"})
        if segments(text) <= MAX_SEGMENTS:
            return text
    return text


def when(moment, office, lang: str) -> str:
    """A slot's start in the office's time zone: 11月24日 09:30, or Tue 24 Nov 09:30."""
    local = moment.astimezone(office.tz)
    if lang == "en":
        return local.strftime("%a %d %b %H:%M")
    return f"{local.month}月{local.day}日 {local:%H:%M}"

