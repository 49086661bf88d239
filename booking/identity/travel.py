"""Documents without a check character: travel permits, the older foreign permanent ID, passports.

- hk_mo_permit (港澳居民来往内地通行证, "回乡证"): H (Hong Kong) or M (Macao) and 8 digits; cards
  issued before 2013 add 2 digits counting the reissues (10 digits).
- tw_permit (台湾居民来往大陆通行证, "台胞证"): 8 digits since 2015; the older booklet's 10.
- foreign_permanent_id, form before 2023: 3 letters (ISO 3166 nationality), 4 digits (place of
  issue), birth date YYMMDD, 1 digit, and an ICAO 9303 check digit over the first 14
  characters (3 letters and 12 digits in all). The century of YYMMDD is not written, so
  neither a birth date nor a sex is read from it, only whether the date exists.
- passport: Chinese (E, G …) and foreign passports alike; 5 to 17 letters and digits with at
  least one digit. Numbering differs by country, so nothing more is checked.
"""

from __future__ import annotations

import re

from .numbers import CHECK, Document, Refused, birth_date, mrz_check_digit

HK_MO = re.compile(r"(?a)[HM]\d{8}(\d{2})?")
TW = re.compile(r"(?a)\d{8}(\d{2})?")
FOREIGN_OLD = re.compile(r"(?a)[A-Z]{3}\d{12}")
PASSPORT = re.compile(r"(?a)(?=.*\d)[A-Z0-9]{5,17}")

HK_MO_FORMAT = ("港澳居民来往内地通行证号码应为 H（香港）或 M（澳门）加 8 位数字（旧证为 10 位）。",
                       "A Hong Kong or Macao permit number is H (Hong Kong) or M (Macao) and 8 digits "
                       "(10 on older cards).")
TW_FORMAT = ("台湾居民来往大陆通行证号码应为 8 位数字（旧证为 10 位）。",
                    "A Taiwan residents' permit number has 8 digits (10 on older permits).")
FOREIGN_FORMAT = ("外国人永久居留身份证号码应为 18 位（以 9 开头），或旧版的 3 个字母加 12 位数字。",
                         "A foreigner's permanent residence ID number has 18 digits starting with 9, or, "
                         "on older cards, 3 letters and 12 digits.")
PASSPORT_FORMAT = ("护照号码应为 5–17 位字母和数字，请按护照填写。",
                          "A passport number has 5 to 17 letters and digits. Please copy it from the passport.")
DIGITS_8_13 = ("第 8–13 位", "digits 8 to 13")


def hk_mo_permit(number: str) -> Document:
    """港澳居民来往内地通行证: H or M, 8 or 10 digits."""
    if not HK_MO.fullmatch(number):
        raise Refused(*HK_MO_FORMAT)
    return Document("hk_mo_permit", number)


def tw_permit(number: str) -> Document:
    """台湾居民来往大陆通行证: 8 or 10 digits."""
    if not TW.fullmatch(number):
        raise Refused(*TW_FORMAT)
    return Document("tw_permit", number)


def _some_century(yymmdd: str) -> None:
    """The YYMMDD date exists in 19YY or 20YY (and not after today, not before 1900)."""
    year, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    try:
        birth_date(2000 + year, month, day, DIGITS_8_13)
    except Refused:
        birth_date(1900 + year, month, day, DIGITS_8_13)


def foreign_permanent_id_old(number: str) -> Document:
    """外国人永久居留身份证 before 2023: 3 letters, 12 digits, the last an ICAO 9303 check."""
    if not FOREIGN_OLD.fullmatch(number):
        raise Refused(*FOREIGN_FORMAT)
    _some_century(number[7:13])
    if mrz_check_digit(number[:14]) != number[14]:
        raise Refused(*CHECK)
    return Document("foreign_permanent_id", number)


def passport(number: str) -> Document:
    """Passports of any country: 5 to 17 letters and digits, at least one digit."""
    if not PASSPORT.fullmatch(number):
        raise Refused(*PASSPORT_FORMAT)
    return Document("passport", number)


