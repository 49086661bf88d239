"""Domain errors. Each carries a stable code (used by the API and the pages), the HTTP status
the contract gives it, the field it belongs to (if any) and a message in the user's language."""

from __future__ import annotations

from .i18n import HANT, choose


class BookingError(Exception):
    code = "invalid"
    status = 422
    field: str | None = None
    message_zh = "请求无效。"
    message_en = "The request is not valid."

    def __init__(self, field: str | None = None, **details):
        super().__init__(self.code)
        if field is not None:
            self.field = field
        self.details = details

    def message(self, lang: str) -> str:
        """The message in `lang`; a detail given as a function of the language (a closure's
        reason, which staff wrote in each script) is asked for that language."""
        template = choose(lang, self.message_zh, self.message_en)
        return template.format(**{name: value(lang) if callable(value) else value
                                  for name, value in self.details.items()})


class Unauthorized(BookingError):
    code, status = "unauthorized", 401
    message_zh, message_en = "需要有效的访问令牌（Bearer）。", "Authentication is required: a valid bearer token."
    headers = {"WWW-Authenticate": 'Bearer realm="staff"'}


class NotFound(BookingError):
    code, status = "not_found", 404
    message_zh, message_en = "找不到该预约。", "No such booking."


class UnknownSlot(BookingError):
    code, status, field = "unknown_slot", 422, "slot_id"
    message_zh, message_en = "所选时段不存在。", "That time slot does not exist."


class SlotFull(BookingError):
    code, status, field = "slot_full", 409, "slot_id"
    message_zh, message_en = "该时段刚刚约满，请选择其他时段。", "That slot was just taken. Please choose another."


class SlotClosed(BookingError):
    code, status, field = "slot_closed", 409, "slot_id"
    message_zh, message_en = "该时段已停止预约。", "That slot is closed for booking."


class OfficeClosed(BookingError):
    code, status, field = "closed", 409, "slot_id"
    message_zh = "该日期暂停办理：{reason}"
    message_en = "No service on that date: {reason}"


class ServiceSuspended(BookingError):
    code, status, field = "suspended", 409, "service"
    message_zh, message_en = "该业务暂停预约。", "This service is suspended."


class OutsideBookingWindow(BookingError):
    code, status, field = "outside_booking_window", 409, "slot_id"
    message_zh, message_en = "该时段尚未开放或已截止预约。", "That slot is not open for booking."


class NotYetOpen(OutsideBookingWindow):
    code = "not_yet_open"
    message_zh = "该时段将于 {opens_at} 开放预约。"
    message_en = "Booking for that slot opens at {opens_at}."


class BookingClosed(OutsideBookingWindow):
    code = "booking_closed"
    message_zh, message_en = "该时段已截止预约。", "Booking for that slot has closed."


class PartySizeInvalid(BookingError):
    code, field = "party_size", "visitors"
    message_zh = "本业务需要 {min}–{max} 位办事人。"
    message_en = "This service needs {min} to {max} visitors."


class BookerBusy(BookingError):
    """Another booking of the same phone or person held its lock past the lock timeout
    (booking.bookings.lock_booker): nothing was written; trying again shortly works."""

    code, status = "busy", 503
    message_zh = "此手机号码或证件的另一笔预约正在办理，本次未完成。请稍后再试。"
    message_en = ("Another booking for this phone or person is being made, so this one was not "
                  "completed. Please try again in a moment.")
    headers = {"Retry-After": "5"}


class InvalidPhone(BookingError):
    """A number that is no mobile number. `suggestions` are (region, number in international
    form) it would be when typed the local way in Hong Kong, Macau or Taiwan
    (booking.identity.phones); the message offers them, first for zh-Hant readers (for whom
    that is the likely intent), after the plain request for everyone else."""

    code, field = "invalid_phone", "phone"
    message_zh, message_en = "请输入有效的手机号码。", "Please enter a valid mobile number."
    hint_zh, hint_en = "如是{place}号码，请加上区号：{number}。", "If it is a {place} number, add its code: {number}."
    places = {"HK": ("香港", "Hong Kong"), "MO": ("澳门", "Macau"), "TW": ("台湾", "Taiwan")}

    def __init__(self, field: str | None = None, suggestions: tuple[tuple[str, str], ...] = ()):
        super().__init__(field)
        self.suggestions = tuple(suggestions)

    def message(self, lang: str) -> str:
        hints = [choose(lang, self.hint_zh, self.hint_en).format(place=choose(lang, *self.places[region]),
                                                                 number=number)
                 for region, number in self.suggestions]
        parts = [*hints, super().message(lang)] if lang == HANT else [super().message(lang), *hints]
        return ("" if lang != "en" else " ").join(parts)


class InvalidContactPhone(InvalidPhone):
    """A clerk's booking: a mobile (texted), a landline or nothing (identity.contact_phone)."""
    message_zh = "请输入有效的手机或固定电话号码，或留空。"
    message_en = "Enter a valid mobile or landline number, or leave it empty."


class InvalidIdentity(BookingError):
    """A document number refused; `reason` (Chinese, English) says what is wrong with it."""

    code = "invalid_identity"
    message_zh, message_en = "证件号码无效，请核对。", "That identity number is not valid."

    def __init__(self, field: str | None = None, reason: tuple[str, str] | None = None):
        super().__init__(field)
        if reason is not None:
            self.message_zh, self.message_en = reason


class InvalidDocumentType(InvalidIdentity):
    code = "invalid_id_type"
    message_zh, message_en = "请选择证件类型。", "Please choose the type of document."


class IdentityMissing(InvalidIdentity):
    message_zh, message_en = "请填写证件号码。", "Please enter the document number."


class InvalidName(BookingError):
    code = "invalid_name"
    message_zh, message_en = "请填写姓名。", "Please enter the name."
    _REASONS = {
        "too_long": ("姓名最多 100 个字符，请按证件填写。",
                     "A name has at most 100 characters. Please write it as on the document."),
        "invisible": ("姓名中有换行、制表符或不可见的字符，请删去后再试。",
                      "The name holds a line break, tab or invisible character. Please remove it."),
    }

    def __init__(self, field: str | None = None, reason: str | None = None):
        super().__init__(field)
        if reason in self._REASONS:
            self.message_zh, self.message_en = self._REASONS[reason]


class UnderMarriageAge(BookingError):
    """Civil Code art. 1047: men marry from 22, women from 20 (full years on the day)."""

    code = "under_marriage_age"
    message_zh = "第 {position} 位办事人（{sex_zh}）在预约当天（{day}）未满 {age} 周岁，不能办理结婚登记。"
    message_en = ("Visitor {position} ({sex_en}) is not yet {age} on the day of the appointment "
                  "({day}), the legal age to marry.")


class MarriagePartiesInvalid(BookingError):
    """Marriage registration is for one man and one woman (Civil Code art. 1046, 1049)."""

    code = "marriage_parties"
    message_zh = "结婚登记须由一男一女共同办理，第 {first} 位和第 {second} 位办事人的证件显示均为{sex_zh}。"
    message_en = ("Marriage registration is for one man and one woman; the documents of visitors "
                  "{first} and {second} both show a {sex_en}.")


class DuplicateVisitor(BookingError):
    code = "duplicate_visitor"
    message_zh, message_en = "同一证件不能重复填写。", "The same identity number appears twice."


class IdentityAlreadyBooked(BookingError):
    code, status, field = "identity_already_booked", 409, "visitors"
    message_zh = "该证件当天已有本业务的预约。"
    message_en = "This person already has a booking for this service on that day."


class IdentityHasActiveBooking(IdentityAlreadyBooked):
    """The service allows one active booking per person whatever the day (marriage, divorce)."""

    message_zh = "该证件已有本业务尚未办理的预约，每人同时只能预约一次；如需改期，请改约原预约。"
    message_en = ("This person already has an active booking for this service; one at a time. "
                  "To change the day, reschedule that booking.")


class TooManyBookings(BookingError):
    code, status, field = "too_many_bookings", 409, "phone"
    message_zh = "该手机号的有效预约已达 {limit} 个上限。"
    message_en = "This phone number already has {limit} active bookings, the most allowed."


class VerificationFailed(BookingError):
    code, field = "verification_failed", "code"
    message_zh, message_en = "验证码不正确或已过期。", "The code is wrong or has expired."


class InvalidLanguage(BookingError):
    code, field = "invalid_lang", "lang"
    message_zh, message_en = "语言只能是 zh、zh-Hant 或 en。", "Language must be zh, zh-Hant or en."


class NotActive(BookingError):
    code, status = "not_active", 409
    message_zh, message_en = "该预约已取消或已结束。", "This booking is cancelled or finished."


class SameSlot(BookingError):
    code, status, field = "same_slot", 409, "slot_id"
    message_zh, message_en = "新时段与原时段相同。", "That is the slot you already have."


class TooManyCodes(BookingError):
    code, status, field = "too_many_codes", 429, "phone"
    message_zh = "验证码发送过于频繁，请一小时后再试。"
    message_en = "Too many codes were sent to this number. Please try again in an hour."


class InvalidVisitors(BookingError):
    code, field = "invalid_visitors", "visitors"
    message_zh, message_en = "请逐一填写办事人的姓名和证件。", "Please give each visitor's name and document."


class NotFull(BookingError):
    code, status, field = "not_full", 409, "date"
    message_zh = "该日期还有空余名额，请直接预约。"
    message_en = "That day still has places. Please book one directly."
