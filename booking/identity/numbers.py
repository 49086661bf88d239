"""What every document parser shares: the parsed document, refusals, dates, check characters.

Sources: GB 11643-1999 (citizen identity number: address, birth date YYYYMMDD, order code whose
last digit is odd for men and even for women, ISO 7064 MOD 11-2 check character); ICAO Doc 9303
part 3 (the 7-3-1 check digit of machine-readable documents).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stdnum.iso7064 import mod_11_2

EARLIEST_BIRTH = dt.date(1900, 1, 1)


@dataclass(frozen=True)
class Document:
    """A document number in canonical form, with the facts its digits carry (None: not carried)."""

    id_type: str
    number: str
    birth_date: dt.date | None = None
    sex: str | None = None  # "male" or "female"


class Refused(ValueError):
    """A number refused by a parser, with the reason in Chinese and English."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.reason = (zh, en)


CHECK = ("最后一位校验码与前面的号码不符，请逐位核对。",
                "The last character (the check character) does not match the rest. Please check each digit.")


def latest_birth_date() -> dt.date:
    """Today where the day is furthest ahead (UTC+14): a child born today anywhere is not refused."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=14)).date()


def birth_date(year: int, month: int, day: int, where: tuple[str, str]) -> dt.date:
    """The date, refused when it does not exist, is in the future or before 1900.

    `where` names the digits, for the message: ("第 7–14 位", "digits 7 to 14").
    """
    try:
        date = dt.date(year, month, day)
    except ValueError:
        raise Refused(f"号码{where[0]}的出生日期不存在，请核对。",
                      f"The birth date in the number ({where[1]}) does not exist. Please check it.") from None
    if date > latest_birth_date():
        raise Refused("号码中的出生日期晚于今天，请核对。",
                      "The birth date in the number is after today. Please check it.")
    if date < EARLIEST_BIRTH:
        raise Refused("号码中的出生日期早于 1900 年，请核对。",
                      "The birth date in the number is before 1900. Please check it.")
    return date


def check_gb11643(number: str) -> None:
    """The 18th character is the ISO 7064 MOD 11-2 check of the first 17 (GB 11643-1999)."""
    if not mod_11_2.is_valid(number):
        raise Refused(*CHECK)


def sex_of_order_code(digit: str) -> str:
    """GB 11643-1999: the last digit of the order code is odd for men, even for women."""
    return "male" if int(digit) % 2 else "female"


def _mrz_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def mrz_check_digit(text: str) -> str:
    """ICAO 9303 check digit: weights 7, 3, 1 repeated; A=10 … Z=35; the sum modulo 10."""
    return str(sum(_mrz_value(c) * (7, 3, 1)[i % 3] for i, c in enumerate(text)) % 10)
