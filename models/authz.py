"""The one authorisation check every staff action goes through, and the staff's scope.

Staff belong to one community: their scope is ("community", id) or a place or household
inside it. Rows from before there were many communities (scope_id None) mean the oldest
community, which was "the" community when they were added."""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from models.community import (BUILDING, POINT, UNIT, Community, Household, Place, Scope,
                              community_of_key, community_scope, default_community, households_in)
from models.people import ROLES, Staff

ALL = "*"
# Which staff intents each role may use. 管理员 and 居委会 may do everything.
PERMISSIONS: dict[str, set[str]] = {
    "管理员": {ALL},
    "居委会": {ALL},
    "社工": {"complaint.accept", "complaint.resolve", "complaint.reject", "complaint.assign",
            "complaint.merge", "complaint.todo", "binding.review", "binding.decide", "bulletin.publish",
            "meeting.create", "meeting.checkin", "meeting.outcome", "stats", "vote.create", "vote.open"},
    "网格员": {"complaint.accept", "complaint.resolve", "complaint.reject", "complaint.assign",
             "complaint.merge", "complaint.todo", "binding.review", "binding.decide", "meeting.checkin",
             "stats"},
}
# The community of a staff member whose place no longer exists: no row has this id, so
# every query limited to it finds nothing (never everything).
NOWHERE = 0


class RoleError(ValueError):
    """A role name that is not one of ROLES; the message lists them."""


def check_role(role: str) -> str:
    role = (role or "").strip()
    if role not in ROLES:
        raise RoleError(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    return role


def staff_for(session: Session, openid: str) -> Staff | None:
    return session.scalars(select(Staff).where(Staff.openid == openid, Staff.active.is_(True))).first()


def roles_that_can(action: str) -> list[str]:
    """The roles allowed this staff intent, 管理员 last (a 网格员 is told whom to ask)."""
    allowed = [r for r, acts in PERMISSIONS.items() if ALL in acts or action in acts]
    return sorted(allowed, key=lambda r: r == "管理员")


def can(staff: Staff | None, action: str) -> bool:
    if staff is None or not staff.active:
        return False
    allowed = PERMISSIONS.get(staff.role, set())
    return ALL in allowed or action in allowed


def community_of(session: Session, staff: Staff) -> int | None:
    """The id of the community a staff member belongs to; None only while there is none."""
    if staff.scope_id is None:
        c = default_community(session)
        return c.id if c else None
    if staff.scope_kind == "community":
        return staff.scope_id
    if staff.scope_kind == "household":
        h = session.get(Household, staff.scope_id)
        return h.community_id if h else NOWHERE
    place = session.get(Place, staff.scope_id)
    return place.community_id if place else NOWHERE


def scope_of(session: Session, staff: Staff) -> Scope | None:
    """The part of their community a staff member serves (the whole of it by default)."""
    if staff.scope_id is None:
        return community_scope(session)
    if staff.scope_kind == "community":
        c = session.get(Community, staff.scope_id)
        return Scope("community", staff.scope_id, c.name if c else "")
    place = session.get(Place, staff.scope_id) if staff.scope_kind != "household" else None
    return Scope(staff.scope_kind, staff.scope_id, place.label if place else "")


def sees(session: Session, staff: Staff | None, community_id: int | None) -> bool:
    """Is a row of this community inside the staff member's community?"""
    if staff is None:
        return False
    mine = community_of(session, staff)
    return mine is None or mine == community_id


def sees_key(session: Session, staff: Staff | None, scope_key: str) -> bool:
    """The same for a vote, meeting or bulletin, by its scope key."""
    return sees(session, staff, community_of_key(session, scope_key))


def covers(session: Session, staff: Staff, household_id: int) -> bool:
    """Is this household inside the staff member's scope (one indexed query)?"""
    scope = scope_of(session, staff)
    if scope is None:
        return session.get(Household, household_id) is not None
    q = households_in(scope).where(Household.id == household_id)
    return session.scalar(q) is not None


def handles(session: Session, staff: Staff | None, household_id: int, assignee_id: int | None) -> bool:
    """May this staff member see and act on a request: its household is in their scope, or
    it was assigned to them. Anything else is answered as if the request did not exist."""
    if staff is None:
        return False
    return assignee_id == staff.id or covers(session, staff, household_id)


def staff_of_community(session: Session, community_id: int) -> ColumnElement[bool]:
    """SQL: a Staff row belongs to this community (by its scope, or as a legacy row)."""
    oldest = default_community(session)
    legacy = Staff.scope_id.is_(None) if oldest is not None and oldest.id == community_id else false()
    places = select(Place.id).where(Place.community_id == community_id)
    homes = select(Household.id).where(Household.community_id == community_id)
    return or_(and_(Staff.scope_kind == "community", Staff.scope_id == community_id),
               and_(Staff.scope_kind.in_((POINT, BUILDING, UNIT)), Staff.scope_id.in_(places)),
               and_(Staff.scope_kind == "household", Staff.scope_id.in_(homes)),
               legacy)


def staff_covering(session: Session, household_id: int, *, roles: tuple[str, ...] = (),
                   exclude: tuple[str, ...] = ()) -> list[Staff]:
    """Active staff on WeChat whose scope holds this household (their community's staff)."""
    q = select(Staff).where(Staff.active.is_(True), Staff.openid.is_not(None))
    if roles:
        q = q.where(Staff.role.in_(roles))
    if exclude:
        q = q.where(Staff.role.not_in(exclude))
    return [st for st in session.scalars(q.order_by(Staff.id)) if covers(session, st, household_id)]


def staff_who_can(session: Session, action: str, household_id: int) -> list[Staff]:
    """Active staff reachable by WeChat who may do `action` for this household."""
    return [st for st in staff_covering(session, household_id) if can(st, action)]
