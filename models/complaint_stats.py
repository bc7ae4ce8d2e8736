"""Anonymous request statistics for the console and the public page."""
from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.complaints import CATEGORIES, OPEN_STATES, STATE_LABELS, SUBMITTED, Complaint


def _hours(pairs: list[tuple[datetime | None, datetime | None]]) -> float | None:
    spans = [(b - a).total_seconds() / 3600 for a, b in pairs if a is not None and b is not None]
    return round(median(spans), 1) if spans else None


def complaint_stats(session: Session, community_id: int | None = None,
                    since: datetime | None = None) -> dict[str, Any]:
    """Counts by state and category, median hours to accept and to resolve, ratings."""
    where = []
    if community_id is not None:
        where.append(Complaint.community_id == community_id)
    if since is not None:
        where.append(Complaint.created_at >= since)
    by_state = dict.fromkeys(STATE_LABELS, 0)
    for state, n in session.execute(select(Complaint.state, func.count()).where(*where)
                                    .group_by(Complaint.state)):
        by_state[state] = n
    by_category = dict.fromkeys(CATEGORIES, 0)
    for category, n in session.execute(select(Complaint.category, func.count()).where(*where)
                                       .group_by(Complaint.category)):
        by_category[category] = n
    times = session.execute(select(Complaint.created_at, Complaint.accepted_at,
                                   Complaint.resolved_at).where(*where)).all()
    ratings = list(session.scalars(select(Complaint.rating).where(
        *where, Complaint.rating.is_not(None))))
    distribution = {score: ratings.count(score) for score in range(1, 6)}
    return {
        "total": sum(by_state.values()),
        "by_state": by_state,
        "by_category": by_category,
        "median_hours_to_accept": _hours([(c, a) for c, a, _ in times]),
        "median_hours_to_resolve": _hours([(c, r) for c, _, r in times]),
        "ratings": {
            "count": len(ratings),
            "average": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "distribution": distribution,
            "satisfied_share": (round(sum(1 for r in ratings if r >= 4) / len(ratings), 3)
                                if ratings else None),
        },
    }


def overdue_count(session: Session, community_id: int | None, now: datetime) -> int:
    """Open requests past their time limit (not accepted, or not resolved, in time)."""
    q = select(func.count()).select_from(Complaint).where(
        Complaint.state.in_(OPEN_STATES),
        ((Complaint.state == SUBMITTED) & (Complaint.accept_due_at <= now))
        | (Complaint.resolve_due_at <= now))
    if community_id is not None:
        q = q.where(Complaint.community_id == community_id)
    return session.scalar(q) or 0
