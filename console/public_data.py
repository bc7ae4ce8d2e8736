"""What the public pages show: conventions, closed votes with their figures, upcoming
meetings. Counts and texts adopted by vote only: never a name, a room or a choice."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.queries import guarded
from models.community import scope_key_in

RESULTS = {"passed": "通过", "failed": "未通过", "no_quorum": "参与户数不足，表决无效"}
RULES = {"household": "按户表决（过半数户参与，参与户过半同意）",
         "civil_code": "按《民法典》第278条（专有面积与业主人数双过 2/3 参与）",
         "custom": "自定规则"}


@guarded
def current_conventions(session: Session, community_id: int | None = None) -> list[Any]:
    """The current (highest version) 楼道公约 of every scope (of one community) that has one."""
    from models.votes import Convention
    latest = (select(Convention.scope_key, func.max(Convention.version).label("v"))
              .group_by(Convention.scope_key).subquery())
    q = select(Convention).join(
        latest, (latest.c.scope_key == Convention.scope_key) & (latest.c.v == Convention.version))
    if community_id is not None:
        q = q.where(scope_key_in(Convention.scope_key, community_id))
    return list(session.scalars(q.order_by(Convention.scope_label)))


@guarded
def convention_of(session: Session, scope_key: str) -> Any:
    from models.votes import Convention
    return session.scalars(select(Convention).where(Convention.scope_key == scope_key)
                           .order_by(Convention.version.desc())).first()


@guarded
def closed_votes(session: Session, scope_key: str | None = None, limit: int = 20,
                 community_id: int | None = None) -> list[Any]:
    from models.votes import CLOSED, Vote
    q = select(Vote).where(Vote.state == CLOSED, Vote.result.is_not(None))
    if scope_key:
        q = q.where(Vote.scope_key == scope_key)
    if community_id is not None:
        q = q.where(scope_key_in(Vote.scope_key, community_id))
    return list(session.scalars(q.order_by(Vote.closed_at.desc(), Vote.id.desc()).limit(limit)))


@guarded
def upcoming_meetings(session: Session, now: datetime, limit: int = 10,
                      community_id: int | None = None) -> list[Any]:
    from models.meetings import SCHEDULED, Meeting
    q = select(Meeting).where(Meeting.state == SCHEDULED, Meeting.starts_at >= now)
    if community_id is not None:
        q = q.where(scope_key_in(Meeting.scope_key, community_id))
    return list(session.scalars(q.order_by(Meeting.starts_at).limit(limit)))


def vote_summary(vote: Any) -> dict[str, Any]:
    """A closed vote's figures in words and numbers (households; area when the rule uses it)."""
    f = vote.figures or {}
    eligible = (f.get("eligible") or {}).get("households", 0)
    took_part = (f.get("participated") or {}).get("households", 0)
    options = {name: (g or {}).get("households", 0) for name, g in (f.get("options") or {}).items()}
    return {"result": RESULTS.get(vote.result or "", vote.result or ""),
            "passed": vote.result == "passed", "eligible": eligible, "took_part": took_part,
            "share": f"{took_part / eligible:.0%}" if eligible else "—", "options": options,
            "rule": RULES.get(vote.rule, vote.rule), "owners_only": bool(f.get("owners_only"))}
