"""The texts we send and the answers to replies, in Simplified and Traditional Chinese and English.

Every text stays within two SMS segments (tests/test_sms_texts.py counts them with long,
realistic values): a kind may list a shorter variant that `render` falls back to when the
values are long, and a long free-text reason is cut as the last resort. Texts never suggest
Twilio's opt-out words (STOP, CANCEL, END, QUIT, UNSUBSCRIBE ...): replies use 1 and 2.

A text that asks for a reply says so through `{reply}`, filled at send time by `ask()`: the
plain keywords; the keyword with the booking's reference when the phone has several active
bookings ("回复“1 ABCD2345”确认"); or, over a route that carries no replies (Twilio to +86),
the link instead. `LINKS` names, for each kind about a booking, which link it carries: the
sender derives it from the booking at send time, so no token waits in the outbox.
Answers to replies are kinds too (`reply_confirmed` ...), so they can be queued as texts
where the provider takes no synchronous answer (Alibaba Cloud uplinks).
"""

from __future__ import annotations

from ..i18n import HANT, hant, local_time

MAX_SEGMENTS = 2
SIGN = "【民政预约】"

TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "verification_code": {
        "zh": (SIGN + "验证码{code}，10分钟内有效，请勿告诉他人。",),
        "en": ("Civil Affairs booking: your code is {code}. Valid for 10 minutes. "
               "Do not share it.",),
    },
    "booked": {
        "zh": (SIGN + "已预约{office}{service}，{when}，编号{reference}。{reply}查看：{link}",
               SIGN + "已预约{service}，{when}，编号{reference}。{reply}查看：{link}",
               SIGN + "已预约{when}，编号{reference}。{reply}{link}"),
        "en": ("Booked: {service}, {office}, {when}. Ref {reference}. {reply}Manage: {link}",
               "Booked: {service}, {when}. Ref {reference}. {reply}Manage: {link}",
               "Booked {when}, ref {reference}. {reply}{link}"),
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
    # The reason goes after "原因：" / "cancelled: " (booking.offices.closures.text_reason words
    # it); where it does not fit whole, the last variant leaves it to the linked booking page.
    "cancelled_by_office": {
        "zh": (SIGN + "很抱歉，您{when}在{office}的预约{reference}已取消，原因：{reason}。重新预约：{link}",
               SIGN + "很抱歉，您{when}的预约{reference}已取消，原因：{reason}。重新预约：{link}",
               SIGN + "很抱歉，您{when}的预约{reference}已因故取消，原因及重新预约请见：{link}"),
        "en": ("Sorry, your booking {reference} on {when} at {office} is cancelled: {reason}. "
               "Book again: {link}",
               "Sorry, booking {reference} on {when} is cancelled: {reason}. Book again: {link}",
               "Sorry, booking {reference} on {when} had to be cancelled. Why, and how to book "
               "again: {link}"),
    },
    "walk_in": {
        "zh": (SIGN + "您已在{office}现场登记{service}（{when}时段），排队号{ticket}，编号{reference}。查看：{link}",
               SIGN + "您已现场登记{service}（{when}时段），排队号{ticket}，编号{reference}。查看：{link}"),
        "en": ("Checked in at {office} for {service} ({when} slot): ticket {ticket}, "
               "ref {reference}. Details: {link}",
               "Checked in for {service} ({when} slot): ticket {ticket}, ref {reference}. "
               "Details: {link}"),
    },
    "reminder": {
        "zh": (SIGN + "明天{when}，{office}，编号{reference}。请填健康申报：{link}",
               SIGN + "明天{time}，{office}，编号{reference}。请填健康申报：{link}",
               SIGN + "明天{when}，编号{reference}。请填健康申报：{link}"),
        "en": ("Reminder: tomorrow {when} at {office}, ref {reference}. Please fill in the "
               "health declaration first: {link}",),
    },
    "release_warning": {
        "zh": (SIGN + "预约{reference}（{when}，{office}）未确认，{deadline}将释放。{reply}{link}",
               SIGN + "预约{reference}（{when}）未确认，{deadline}将释放。{reply}{link}",
               SIGN + "预约{reference}未确认，{deadline}释放。{reply}{link}"),
        "en": ("Ref {reference} ({when}, {office}) is not confirmed yet. The place will be "
               "released at {deadline}. {reply}{link}",
               "Ref {reference} ({when}) is not confirmed yet; the place will be "
               "released at {deadline}. {reply}{link}",
               "Ref {reference} not confirmed: released {deadline}. {reply}{link}"),
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

# Answers to replies (sent back as TwiML, or queued as texts; the same two-segment rule applies).
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
    "choose": {  # a bare keyword from a phone with several active bookings: nothing changed
        "zh": (SIGN + "您有多个预约：{references}。请回复“1 预约号”确认或“2 预约号”取消，如“1 {reference}”。",),
        "en": ("You have several bookings: {references}. Reply 1 or 2 followed by the reference, "
               "e.g. \"1 {reference}\".",),
    },
    "no_booking": {
        "zh": (SIGN + "未找到此号码的有效预约。预约与查询请访问：{link}",),
        "en": ("We found no upcoming booking for this number. To book or look one up: {link}",),
    },
}
TEXTS.update({f"reply_{kind}": variants for kind, variants in REPLIES.items()})

# Which link a kind about a booking carries, derived from the booking at send time.
LINKS = {"booked": "manage", "rescheduled": "manage", "cancelled": "manage",
         "cancelled_by_office": "manage", "reminder": "health", "release_warning": "manage",
         "released": "manage", "reply_confirmed": "manage", "reply_cancelled": "manage",
         "reply_not_active": "manage", "reply_help": "manage",
         "reply_no_booking": "home"}

# How a text asks for a reply ({reply}): per kind, per way of asking, per language.
ASKS: dict[str, dict[str, dict[str, str]]] = {
    "booked": {
        "single": {"zh": "回复1确认，2取消。", "en": "Reply 1 to confirm, 2 to give up the place. "},
        "named": {"zh": "回复“1 {reference}”确认，“2 {reference}”取消。",
                  "en": "Reply \"1 {reference}\" to confirm, \"2 {reference}\" to give up the place. "},
        "link": {"zh": "请打开链接确认或取消。", "en": "Confirm or cancel with the link. "},
    },
    "release_warning": {
        "single": {"zh": "回复1确认或打开：", "en": "Reply 1 to keep it, or open "},
        "named": {"zh": "回复“1 {reference}”确认或打开：", "en": "Reply \"1 {reference}\" to keep it, or open "},
        "link": {"zh": "请打开链接确认：", "en": "To keep it, open "},
    },
}
ASK_WAYS = ("single", "named", "link")


def ask(kind: str, lang: str, way: str, reference: str) -> str:
    """The reply instruction of `kind` ("" if it asks none): `way` is "single" (bare
    keywords), "named" (keyword and reference: the phone has several active bookings) or
    "link" (the route carries no replies)."""
    if kind not in ASKS:
        return ""
    return variants({k: (v,) for k, v in ASKS[kind][way].items()}, lang)[0].format(reference=reference)


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
    """The text of `kind` in `lang` (one of booking.i18n.LANGUAGES), within two segments. A
    `{reply}` the values leave out asks for the plain keywords."""
    if "reply" not in values:
        values["reply"] = ask(kind, lang, "single", str(values.get("reference", "")))
    return _fit(variants(TEXTS[kind], lang), values)


def reply(kind: str, lang: str, **values) -> str:
    """The answer to an SMS reply, within two segments."""
    return _fit(variants(REPLIES[kind], lang), values)


def variants(table: dict[str, tuple[str, ...]], lang: str) -> tuple[str, ...]:
    """A kind's variants in `lang`: English, Simplified, or Traditional (each Simplified variant
    in the reviewed catalogue booking/translations/from_zh, see booking.i18n.hant)."""
    if lang == "en":
        return table["en"]
    return tuple(hant(text) for text in table["zh"]) if lang == HANT else table["zh"]


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
    return local_time(moment, office, lang)

