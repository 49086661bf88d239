"""Regions as a tree (a province above its cities): what lies below a region, its offices, and
the whole tree with each region's offices and bureau accounts (the administrator's pages)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import Office, Region, StaffUser


def regions_below(region_id: int) -> set[int]:
    """The region's id and those of every region below it, however deep (a cycle stops)."""
    children: dict[int | None, list[int]] = {}
    for rid, parent in db.session.execute(select(Region.id, Region.parent_id)):
        children.setdefault(parent, []).append(rid)
    found, todo = set(), [region_id]
    while todo:
        rid = todo.pop()
        if rid not in found:
            found.add(rid)
            todo.extend(children.get(rid, []))
    return found


def region_offices(region: Region) -> list[Office]:
    """The offices of the region and of the regions below it, by code."""
    return list(db.session.scalars(select(Office).where(Office.region_id.in_(regions_below(region.id)))
                                   .order_by(Office.code)))


def region_by_code(code) -> Region | None:
    return db.session.scalar(select(Region).where(Region.code == str(code or "")[:40]))


@dataclass
class RegionNode:
    """A region in the tree: `path` from the top region down to it, its own offices (not those
    of the regions below) and bureau accounts by code and name, the regions right below it."""

    region: Region
    path: list[Region]
    offices: list[Office] = field(default_factory=list)
    bureaus: list[StaffUser] = field(default_factory=list)
    below: list[RegionNode] = field(default_factory=list)


def region_tree() -> list[RegionNode]:
    """Every region as a tree (a province above its cities): the top regions by code, each
    with the regions below it by code. Three queries, whatever the size."""
    regions = list(db.session.scalars(select(Region).order_by(Region.code)))
    offices: dict[int, list[Office]] = {}
    for office in db.session.scalars(select(Office).where(Office.region_id.is_not(None)).order_by(Office.code)):
        offices.setdefault(office.region_id, []).append(office)
    bureaus: dict[int, list[StaffUser]] = {}
    for user in db.session.scalars(select(StaffUser).where(StaffUser.role == "bureau").order_by(StaffUser.username)):
        bureaus.setdefault(user.region_id, []).append(user)
    below: dict[int | None, list[Region]] = {}
    for region in regions:
        below.setdefault(region.parent_id, []).append(region)

    def node(region: Region, path: list[Region]) -> RegionNode:
        return RegionNode(region, path, offices.get(region.id, []), bureaus.get(region.id, []),
                          [node(child, [*path, child]) for child in below.get(region.id, [])])

    return [node(region, [region]) for region in below.get(None, [])]


def walk(nodes: list[RegionNode]) -> Iterator[RegionNode]:
    """The tree depth first, each region before the regions below it."""
    for found in nodes:
        yield found
        yield from walk(found.below)
