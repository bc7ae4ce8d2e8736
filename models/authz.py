"""The one authorisation check every staff action goes through."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.people import Staff

ALL = "*"
# Which staff intents each role may use. 管理员 and 居委会 may do everything.
PERMISSIONS: dict[str, set[str]] = {
    "管理员": {ALL},
    "居委会": {ALL},
    "社工": {"complaint.accept", "complaint.resolve", "complaint.reject", "complaint.assign",
            "complaint.merge", "complaint.todo", "binding.review", "bulletin.publish",
            "meeting.create", "meeting.checkin", "meeting.outcome", "stats", "vote.create"},
    "网格员": {"complaint.accept", "complaint.resolve", "complaint.reject", "complaint.assign",
             "complaint.merge", "complaint.todo", "binding.review", "meeting.checkin", "stats"},
}


def staff_for(session: Session, openid: str) -> Staff | None:
    return session.scalars(select(Staff).where(Staff.openid == openid, Staff.active.is_(True))).first()


def can(staff: Staff | None, action: str) -> bool:
    if staff is None or not staff.active:
        return False
    allowed = PERMISSIONS.get(staff.role, set())
    return ALL in allowed or action in allowed
