"""The one authorisation check every staff action goes through, and the staff's scope."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.community import Household, Scope, community_scope, households_in
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


class RoleError(ValueError):
    """A role name that is not one of ROLES; the message lists them."""


def check_role(role: str) -> str:
    role = (role or "").strip()
    if role not in ROLES:
        raise RoleError(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    return role


def staff_for(session: Session, openid: str) -> Staff | None:
    return session.scalars(select(Staff).where(Staff.openid == openid, Staff.active.is_(True))).first()


def can(staff: Staff | None, action: str) -> bool:
    if staff is None or not staff.active:
        return False
    allowed = PERMISSIONS.get(staff.role, set())
    return ALL in allowed or action in allowed


def scope_of(session: Session, staff: Staff) -> Scope | None:
    """The part of the community a staff member serves (the whole community by default)."""
    if staff.scope_kind == "community" or staff.scope_id is None:
        return community_scope(session)
    return Scope(staff.scope_kind, staff.scope_id)


def covers(session: Session, staff: Staff, household_id: int) -> bool:
    """Is this household inside the staff member's scope (one indexed query)?"""
    scope = scope_of(session, staff)
    if scope is None:
        return session.get(Household, household_id) is not None
    q = households_in(scope).where(Household.id == household_id)
    return session.scalar(q) is not None


def staff_who_can(session: Session, action: str, household_id: int) -> list[Staff]:
    """Active staff reachable by WeChat who may do `action` for this household."""
    people = session.scalars(select(Staff).where(Staff.active.is_(True), Staff.openid.is_not(None))
                             .order_by(Staff.id))
    return [st for st in people if can(st, action) and covers(session, st, household_id)]
