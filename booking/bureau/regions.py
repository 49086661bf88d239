"""Regions as a tree (a province above its cities): what lies below a region, and its offices."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Office, Region


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
