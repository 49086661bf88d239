"""The texts we send, in Chinese and English. Each stays within two SMS segments
(tests/test_sms_texts.py counts them with realistic values) and never suggests the
opt-out words STOP or CANCEL: replies use 1 and 2."""

TEXTS = {
    "verification_code": {
        "zh": "【民政预约】验证码 {code}，10 分钟内有效。请勿告诉他人。",
        "en": "Civil Affairs booking: your code is {code}. Valid for 10 minutes. Do not share it.",
    },
    "booked": {
        "zh": "【民政预约】已预约{office}{service}，{when}，编号{reference}。回复1确认，2取消。"
              "查看：{link}",
        "en": "Booked: {service}, {office}, {when}. Ref {reference}. Reply 1 to confirm, "
              "2 to cancel. Manage: {link}",
    },
    "rescheduled": {
        "zh": "【民政预约】预约{reference}已改到{when}，{office}。查看：{link}",
        "en": "Ref {reference} moved to {when}, {office}. Manage: {link}",
    },
    "cancelled": {
        "zh": "【民政预约】预约{reference}（{when}）已取消。如需办理请重新预约：{link}",
        "en": "Ref {reference} ({when}) is cancelled. To book again: {link}",
    },
    "cancelled_by_office": {
        "zh": "【民政预约】因{reason}，您{when}的预约{reference}已取消，敬请谅解。重新预约：{link}",
        "en": "Sorry: {reason}. Your booking {reference} on {when} is cancelled. Book again: {link}",
    },
    "reminder": {
        "zh": "【民政预约】提醒：明天{when}在{office}办理，编号{reference}。请提前填写健康申报：{link}",
        "en": "Reminder: tomorrow {when} at {office}, ref {reference}. Please fill in the health "
              "check first: {link}",
    },
    "release_warning": {
        "zh": "【民政预约】预约{reference}尚未确认，将于{deadline}释放。回复1确认：{link}",
        "en": "Ref {reference} is not confirmed and will be released at {deadline}. "
              "Reply 1 to keep it: {link}",
    },
}


def render(kind: str, lang: str, **values) -> str:
    return TEXTS[kind]["en" if lang == "en" else "zh"].format(**values)


def when(moment, office, lang: str) -> str:
    """A slot's start in the office's time zone: 11月24日 09:30, or Tue 24 Nov 09:30."""
    local = moment.astimezone(office.tz)
    if lang == "en":
        return local.strftime("%a %d %b %H:%M")
    return f"{local.month}月{local.day}日 {local:%H:%M}"
