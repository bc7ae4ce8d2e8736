"""Build a community, households, bound residents and staff directly in the database,
for tests of families that need people to exist."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.community import BUILDING, POINT, UNIT, Community, Household, Place
from models.people import Staff
from models.resident import Resident


def community(s: Session, name: str = "黄巷社区") -> Community:
    c = s.scalars(select(Community).where(Community.name == name)).first()
    if c is None:
        c = Community(name=name)
        s.add(c)
        s.flush()
    return c


def place(s: Session, c: Community, kind: str, name: str, parent: Place | None, label: str) -> Place:
    p = s.scalars(select(Place).where(Place.community_id == c.id, Place.kind == kind,
                                      Place.name == name, Place.parent_id == (parent.id if parent else None))).first()
    if p is None:
        p = Place(community_id=c.id, kind=kind, name=name, parent_id=parent.id if parent else None,
                  label=label)
        s.add(p)
        s.flush()
    return p


def household(s: Session, point: str = "黄巷新村", building: str = "3", unit: str = "2",
              room: str = "301", area: float | str = "90", tenure: str = "owner") -> Household:
    c = community(s)
    p = place(s, c, POINT, point, None, point)
    b = place(s, c, BUILDING, building, p, f"{point}{building}号楼")
    u = place(s, c, UNIT, unit, b, f"{point}{building}号楼{unit}单元")
    h = s.scalars(select(Household).where(Household.unit_id == u.id, Household.room == room)).first()
    if h is None:
        h = Household(community_id=c.id, point_id=p.id, building_id=b.id, unit_id=u.id, room=room,
                      label=f"{point}{building}号楼{unit}单元{room}室", area=Decimal(str(area)),
                      tenure=tenure)
        s.add(h)
        s.flush()
    return h


def resident(s: Session, openid: str, h: Household | None = None, name: str = "张三",
             verified: bool = True, **kw: Any) -> Resident:
    r = s.scalars(select(Resident).where(Resident.openid == openid)).first()
    if r is None:
        r = Resident(openid=openid, followed=True, followed_at=utcnow())
        s.add(r)
    if h is not None:
        r.household_id, r.name = h.id, name
        r.status = "verified" if verified else "pending"
        r.verified_at = utcnow() if verified else None
    for k, v in kw.items():
        setattr(r, k, v)
    s.flush()
    return r


def staff(s: Session, openid: str, role: str = "网格员", name: str = "李网格") -> Staff:
    st = Staff(openid=openid, name=name, role=role)
    s.add(st)
    s.flush()
    return st


def stairwell(s: Session, rooms: list[str], **kw: Any) -> list[Household]:
    """Households of one stairwell (3号楼2单元 by default)."""
    return [household(s, room=r, **kw) for r in rooms]
