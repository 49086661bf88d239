"""Made-up document numbers with correct check characters, computed here independently of
booking/identity (GB 11643-1999 MOD 11-2; ICAO 9303 7-3-1), for the identity tests."""

from __future__ import annotations

WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2


def gb11643(body: str) -> str:
    """17 digits and their check character: an 18-character number."""
    assert len(body) == 17 and body.isdigit()
    remainder = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11
    return body + "10X98765432"[remainder]


def wrong_check(number: str) -> str:
    """The same number with another check character."""
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def icao(body: str) -> str:
    """14 characters and their ICAO 9303 check digit: an older foreign permanent ID."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    return body + str(sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(values)) % 10)


def person(birth: str, sex: str, area: str = "110105", order: int = 12) -> str:
    """A resident ID number born on YYYYMMDD, the order code's last digit odd for a man."""
    last = order * 10 + (1 if sex == "male" else 2)
    return gb11643(f"{area}{birth}{last:03d}")
