"""Small read-only queries behind the 工作台 and the public pages. A family whose models
are not in this build yet gives None, and its section says so instead of failing."""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.community import Household, households_in, scope_key_in
from models.delivery import FAILED, Delivery
from models.people import REQUEST_PENDING, BindingRequest, Staff
from models.resident import Resident

log = logging.getLogger(__name__)
T = TypeVar("T")
LIST = 8   # rows shown per dashboard section


def guarded(fn: Callable[..., T]) -> Callable[..., T | None]:
    """The family's module or one of its names missing → None (the page shows 建设中)."""
    def run(*args: Any, **kwargs: Any) -> T | None:
        try:
            return fn(*args, **kwargs)
        except (ImportError, AttributeError) as exc:
            log.info("console section %s unavailable: %s", fn.__name__, exc)
            return None
    run.__name__ = fn.__name__
    return run


def limit_to_scope(q: Any, column: Any, session: Session, staff: Staff | None,
                   community_column: Any = None) -> Any:
    """Limit a query to the households a staff member serves: their place, or their whole
    community (by `community_column` when the table has one: one indexed equality)."""
    if staff is None:
        return q
    from models.authz import scope_of
    scope = scope_of(session, staff)
    if scope is None:
        return q
    if scope.kind == "community" and community_column is not None:
        return q.where(community_column == scope.id)
    return q.where(column.in_(households_in(scope)))


def _of_community(q: Any, column: Any, community_id: int | None) -> Any:
    return q if community_id is None else q.where(column == community_id)


def pending_bindings(session: Session, staff: Staff | None, limit: int | None = LIST) -> list[Any]:
    q = (select(BindingRequest, Household.label)
         .join(Household, Household.id == BindingRequest.household_id)
         .where(BindingRequest.status == REQUEST_PENDING)
         .order_by(BindingRequest.created_at, BindingRequest.id))
    q = limit_to_scope(q, BindingRequest.household_id, session, staff)
    return list(session.execute(q.limit(limit) if limit else q))


def failed_deliveries(session: Session, now: datetime, days: int = 7,
                      community_id: int | None = None) -> dict[str, Any]:
    """Deliveries that failed in the last days: the count and the errcodes behind them
    (with a community: those to its residents and staff)."""
    since = now - timedelta(days=days)
    q = (select(Delivery.errcode, Delivery.channel, func.count())
         .where(Delivery.status == FAILED, Delivery.created_at >= since))
    if community_id is not None:
        from models.authz import staff_of_community
        residents = (select(Resident.openid).join(Household, Household.id == Resident.household_id)
                     .where(Household.community_id == community_id))
        staff = select(Staff.openid).where(Staff.openid.is_not(None),
                                           staff_of_community(session, community_id))
        q = q.where(Delivery.openid.in_(residents) | Delivery.openid.in_(staff))
    rows = session.execute(q.group_by(Delivery.errcode, Delivery.channel)).all()
    return {"total": sum(n for _, _, n in rows), "days": days,
            "by_errcode": sorted(((e, c, n) for e, c, n in rows), key=lambda r: -r[2])}


@guarded
def overdue_requests(session: Session, staff: Staff | None, now: datetime) -> list[Any]:
    from models.complaints import OPEN_STATES, SUBMITTED, Complaint
    q = (select(Complaint).where(Complaint.state.in_(OPEN_STATES))
         .where(((Complaint.state == SUBMITTED) & (Complaint.accept_due_at <= now))
                | (Complaint.resolve_due_at <= now))
         .order_by(Complaint.created_at))
    q = limit_to_scope(q, Complaint.household_id, session, staff, Complaint.community_id)
    return list(session.scalars(q.limit(LIST)))


@guarded
def open_request_count(session: Session, staff: Staff | None) -> int:
    from models.complaints import OPEN_STATES, Complaint
    q = select(func.count()).select_from(Complaint).where(Complaint.state.in_(OPEN_STATES))
    return session.scalar(limit_to_scope(q, Complaint.household_id, session, staff,
                                         Complaint.community_id)) or 0


@guarded
def votes_closing_soon(session: Session, now: datetime, days: int = 3,
                       community_id: int | None = None) -> list[Any]:
    from models.votes import OPEN, Vote
    q = select(Vote).where(Vote.state == OPEN, Vote.closes_at <= now + timedelta(days=days))
    if community_id is not None:
        q = q.where(scope_key_in(Vote.scope_key, community_id))
    return list(session.scalars(q.order_by(Vote.closes_at).limit(LIST)))


@guarded
def proposed_votes(session: Session, community_id: int | None = None) -> int:
    from models.votes import PROPOSED, Vote
    q = select(func.count()).select_from(Vote).where(Vote.state == PROPOSED)
    if community_id is not None:
        q = q.where(scope_key_in(Vote.scope_key, community_id))
    return session.scalar(q) or 0


@guarded
def meetings_this_week(session: Session, now: datetime, community_id: int | None = None) -> list[Any]:
    from models.meetings import SCHEDULED, Meeting
    q = select(Meeting).where(Meeting.state == SCHEDULED, Meeting.starts_at >= now - timedelta(hours=3),
                              Meeting.starts_at <= now + timedelta(days=7))
    if community_id is not None:
        q = q.where(scope_key_in(Meeting.scope_key, community_id))
    return list(session.scalars(q.order_by(Meeting.starts_at).limit(LIST)))


# Statistics (anonymous: counts only) --------------------------------------------------------
def _month(dt: datetime, tz: Any) -> str:
    t = dt.astimezone(tz)
    return f"{t.year}-{t.month:02d}"


def last_months(now: datetime, tz: Any, n: int = 6) -> list[str]:
    t = now.astimezone(tz)
    y, m = t.year, t.month
    out = []
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


@guarded
def requests_by_month(session: Session, now: datetime, tz: Any, months: int = 6,
                      community_id: int | None = None) -> dict[str, Any]:
    """Requests per month and category over the last months (counts only)."""
    from models.complaints import CATEGORIES, Complaint
    labels = last_months(now, tz, months)
    since = now - timedelta(days=31 * months + 1)
    counts: Counter[tuple[str, str]] = Counter()
    q = select(Complaint.created_at, Complaint.category).where(Complaint.created_at >= since)
    for created, category in session.execute(_of_community(q, Complaint.community_id, community_id)):
        counts[(_month(created, tz), category)] += 1
    series = {label: [counts[(m, key)] for m in labels] for key, label in CATEGORIES.items()
              if any(counts[(m, key)] for m in labels)}
    return {"months": labels, "series": series,
            "totals": [sum(counts[(m, k)] for k in CATEGORIES) for m in labels]}


@guarded
def requests_by_week(session: Session, now: datetime, tz: Any, weeks: int = 8,
                     community_id: int | None = None) -> dict[str, Any]:
    """Requests filed per week (Monday to Sunday, community time) over the last weeks."""
    from models.complaints import Complaint
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    counts: Counter[Any] = Counter()
    q = select(Complaint.created_at).where(Complaint.created_at >= now - timedelta(weeks=weeks, days=1))
    for (created,) in session.execute(_of_community(q, Complaint.community_id, community_id)):
        d = created.astimezone(tz).date()
        counts[d - timedelta(days=d.weekday())] += 1
    return {"weeks": [f"{d.month}/{d.day}" for d in starts], "counts": [counts[d] for d in starts]}


@guarded
def request_stats(session: Session, community_id: int | None = None) -> dict[str, Any]:
    from models.complaint_stats import complaint_stats
    return complaint_stats(session, community_id=community_id)


@guarded
def resolve_days_by_month(session: Session, now: datetime, tz: Any, months: int = 6,
                          community_id: int | None = None) -> dict[str, Any]:
    """Median days from filing to resolution, per month of resolution."""
    from statistics import median

    from models.complaints import Complaint
    labels = last_months(now, tz, months)
    spans: dict[str, list[float]] = {m: [] for m in labels}
    q = select(Complaint.created_at, Complaint.resolved_at).where(
        Complaint.resolved_at.is_not(None), Complaint.resolved_at >= now - timedelta(days=31 * months + 1))
    for created, resolved in session.execute(_of_community(q, Complaint.community_id, community_id)):
        m = _month(resolved, tz)
        if m in spans:
            spans[m].append((resolved - created).total_seconds() / 86400)
    return {"months": labels, "days": [round(median(v), 1) if v else None for v in spans.values()]}
