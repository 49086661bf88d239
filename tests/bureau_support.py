"""Shared set-up for the bureau's tests (no tests here): two regions and their offices.

Region `shanghai` holds registry `reg-a` and cemetery `cem-c` itself, and registry `reg-b`
through the district `jingan` below it; region `suzhou` holds registry `reg-d`. Each office has
a clerk and a supervisor (tests/test_staff_support.make_office2); `bureau-shanghai` and
`bureau-suzhou` are the bureaus of the two cities.
"""

from __future__ import annotations

from dataclasses import dataclass

from booking import accounts
from booking.extensions import db
from booking.models import Region, StaffUser
from tests.test_staff_support import PASSWORD, Office2, make_office2


@dataclass
class Bureau:
    a: Office2
    b: Office2
    c: Office2
    d: Office2
    bureau: StaffUser
    other_bureau: StaffUser


def region(code: str, parent: Region | None = None) -> Region:
    found = Region(code=code, name_zh=f"{code}市", name_en=code.title(), parent=parent)
    db.session.add(found)
    db.session.flush()
    return found


def cemetery(code: str, in_region: Region) -> Office2:
    """make_office2 with a tomb-sweeping service in place of marriage."""
    office = make_office2(code)
    service = office.service
    service.kind, service.code = "tomb_sweeping", "tomb-sweeping"
    service.name_zh, service.name_en = "祭扫", "Tomb sweeping"
    service.party_size_min, service.party_size_max = 1, 5
    office.office.region_id = in_region.id
    db.session.commit()
    return office


def bureau_world() -> Bureau:
    """The two regions, four offices and two bureaus. Commits."""
    shanghai = region("shanghai")
    jingan = region("jingan", shanghai)
    suzhou = region("suzhou")
    db.session.commit()
    offices = {}
    for code, place in (("reg-a", shanghai), ("reg-b", jingan), ("reg-d", suzhou)):
        offices[code] = make_office2(code)
        offices[code].office.region_id = place.id
    db.session.commit()
    c = cemetery("cem-c", shanghai)
    bureau = accounts.create_staff("bureau-shanghai", PASSWORD, "bureau", None, region_code="shanghai")
    other = accounts.create_staff("bureau-suzhou", PASSWORD, "bureau", None, region_code="suzhou")
    return Bureau(offices["reg-a"], offices["reg-b"], c, offices["reg-d"], bureau, other)


