"""Many communities, one console: each staff member sees and acts only inside their own
community. Rows of another community are answered with 404, as if they did not exist."""
from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy.orm import Session

from models import authz
from models.community import Community, community_count, scope_key_in
from models.people import Staff


def community_id(session: Session, staff: Staff | None) -> int | None:
    """The logged-in staff member's community (None only while no community exists)."""
    return authz.community_of(session, staff) if staff is not None else None


def community_label(session: Session, staff: Staff | None) -> str | None:
    """Their community's name for page titles, when the database holds more than one."""
    cid = community_id(session, staff)
    if cid is None or community_count(session) < 2:
        return None
    c = session.get(Community, cid)
    return c.name if c else None


def by_key(q: Any, column: Any, session: Session, staff: Staff | None) -> Any:
    """Limit a query of votes, meetings or bulletins to the staff member's community."""
    cid = community_id(session, staff)
    return q if cid is None else q.where(scope_key_in(column, cid))


def require_key(session: Session, staff: Staff | None, scope_key: str) -> None:
    if not authz.sees_key(session, staff, scope_key):
        abort(404)


def require_community(session: Session, staff: Staff | None, cid: int | None) -> None:
    if not authz.sees(session, staff, cid):
        abort(404)
