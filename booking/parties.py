"""Who may be booked together for a service, read from the documents that carry sex and birth date.

Marriage registration (Civil Code of the PRC, 2021): art. 1046 and 1049, a man and a woman
register their marriage together; art. 1047, the man not younger than 22 full years, the woman
not younger than 20. Ages count on the local day of the slot. Documents that carry neither sex
nor birth date (travel permits, passports, the older foreign permanent ID) are judged at the
counter from the papers, as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from .errors import MarriagePartiesInvalid, UnderMarriageAge

MARRIAGE_AGE = {"male": 22, "female": 20}  # Civil Code art. 1047
SEX_WORDS = {"male": ("男方", "man", "男性"), "female": ("女方", "woman", "女性")}


class Party(Protocol):
    birth_date: dt.date | None
    sex: str | None


def age_on(born: dt.date, day: dt.date) -> int:
    """Full years of someone born on `born` on `day` (born 29 February: a year ends on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def check_marriage_age(parties: list[Party], day: dt.date) -> None:
    """Each party whose document carries sex and birth date is of legal age on `day`."""
    for position, party in enumerate(parties, start=1):
        if party.sex not in MARRIAGE_AGE or party.birth_date is None:
            continue
        age = MARRIAGE_AGE[party.sex]
        if age_on(party.birth_date, day) < age:
            zh, en, _ = SEX_WORDS[party.sex]
            raise UnderMarriageAge(f"visitors.{position - 1}.id_number", position=position, age=age,
                                   sex_zh=zh, sex_en=en, day=day.isoformat())


def check_man_and_woman(parties: list[Party]) -> None:
    """No two parties whose documents show the same sex."""
    seen: dict[str, int] = {}
    for position, party in enumerate(parties, start=1):
        if party.sex is None:
            continue
        if party.sex in seen:
            _, en, zh = SEX_WORDS[party.sex]
            raise MarriagePartiesInvalid(f"visitors.{position - 1}.id_number", first=seen[party.sex],
                                         second=position, sex_zh=zh, sex_en=en)
        seen[party.sex] = position


def check_parties(kind: str, parties: list[Party], day: dt.date) -> None:
    """The rules of a service kind about its parties; only marriage has any."""
    if kind == "marriage":
        check_man_and_woman(parties)
        check_marriage_age(parties, day)
