"""Numbers built on GB 11643-1999 (18 characters, MOD 11-2 check character).

- resident_id (居民身份证): a province code 11–65, then the county code where the number was
  first issued. Counties are merged, renamed and created every year and a number keeps its
  first code for life, so only the province is checked, never the county against the birth
  year (python-stdnum's cn.ric does that, refusing real people and crashing on codes it lacks).
- residence_permit (港澳台居民居住证, 2018): address code 810000 (Hong Kong), 820000 (Macao)
  or 830000 (Taiwan), then birth date, order code and check character as above.
- foreign_permanent_id, 2023 form (外国人永久居留身份证): "9", the province of issue, a 3-digit
  nationality code, birth date YYYYMMDD, order code, MOD 11-2 check character (National
  Immigration Administration, machine-readable rules of the 2023 card).
"""

from __future__ import annotations

import re

from .numbers import Document, Refused, birth_date, check_gb11643, sex_of_order_code

PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
                       46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65})
EIGHTEEN = re.compile(r"(?a)\d{17}[\dX]")
DIGITS_7_14 = ("第 7–14 位", "digits 7 to 14")

RESIDENT_FORMAT = ("居民身份证号码应为 18 位：前 17 位是数字，最后一位是数字或 X。",
                          "A resident ID number has 18 characters: 17 digits, then a digit or X.")
PERMIT_FORMAT = ("港澳台居民居住证号码应为 18 位，以 810000（香港）、820000（澳门）或 830000（台湾）开头。",
                        "A residence permit number has 18 characters and starts with 810000 (Hong Kong), "
                        "820000 (Macao) or 830000 (Taiwan).")
IS_PERMIT = ("以 81、82、83 开头的是港澳台居民居住证号码，请在证件类型中选择“港澳台居民居住证”。",
                    "Numbers starting with 81, 82 or 83 are residence permits for Hong Kong, Macao and "
                    "Taiwan residents: please choose that document.")
IS_FOREIGN = ("以 9 开头的是外国人永久居留身份证号码，请在证件类型中选择“外国人永久居留身份证”。",
                     "Numbers starting with 9 are foreigner's permanent residence ID cards: please choose "
                     "that document.")
NO_PROVINCE = ("号码前两位不是省、自治区或直辖市的代码，请核对。",
                      "The first two digits are not a province code. Please check the number.")


def _gb11643(id_type: str, number: str) -> Document:
    """Birth date, sex and check character of an 18-character number already in shape."""
    born = birth_date(int(number[6:10]), int(number[10:12]), int(number[12:14]), DIGITS_7_14)
    check_gb11643(number)
    return Document(id_type, number, born, sex_of_order_code(number[16]))


def resident_id(number: str) -> Document:
    """居民身份证: 18 characters, a known province, a real birth date, the check character."""
    if not EIGHTEEN.fullmatch(number):
        raise Refused(*RESIDENT_FORMAT)
    if number[:2] in ("81", "82", "83"):
        raise Refused(*IS_PERMIT)
    if number[0] == "9":
        raise Refused(*IS_FOREIGN)
    if int(number[:2]) not in PROVINCES:
        raise Refused(*NO_PROVINCE)
    return _gb11643("resident_id", number)


def residence_permit(number: str) -> Document:
    """港澳台居民居住证: 810000/820000/830000, then as a resident ID."""
    if not EIGHTEEN.fullmatch(number) or number[:6] not in ("810000", "820000", "830000"):
        raise Refused(*PERMIT_FORMAT)
    return _gb11643("residence_permit", number)


def foreign_permanent_id_2023(number: str) -> Document:
    """外国人永久居留身份证 (2023): 18 characters starting with 9, checked as GB 11643."""
    return _gb11643("foreign_permanent_id", number)
