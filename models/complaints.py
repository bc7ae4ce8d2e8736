"""Requests (民情诉求): tickets, their timeline, followers, the per-day counter, hot clusters.

The state graph and the rules live in models/complaint_rules.py; statistics in
models/complaint_stats.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow

# PRODUCT §3: the `category` slot of complaint.new.
CATEGORIES: dict[str, str] = {
    "repair": "设施报修", "sanitation": "环境卫生", "noise": "噪音扰民", "parking": "停车交通",
    "property": "物业服务", "safety": "安全隐患", "dispute": "邻里纠纷", "greenery": "绿化养护",
    "other": "其他",
}
SUBMITTED, ACCEPTED, IN_PROGRESS, RESOLVED = "submitted", "accepted", "in_progress", "resolved"
CLOSED, REJECTED, MERGED = "closed", "rejected", "merged"
STATE_LABELS: dict[str, str] = {
    SUBMITTED: "已提交", ACCEPTED: "已受理", IN_PROGRESS: "处理中", RESOLVED: "已办结",
    CLOSED: "已评价", REJECTED: "不予受理", MERGED: "已合并",
}
OPEN_STATES = (SUBMITTED, ACCEPTED, IN_PROGRESS)
TICKET_PREFIX = "TS"


class Complaint(Base):
    __tablename__ = "complaint"
    __table_args__ = (
        Index("ix_complaint_building_category", "building_id", "category", "created_at"),
        Index("ix_complaint_state", "state"),
        Index("ix_complaint_community_created", "community_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(20), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    openid: Mapped[str] = mapped_column(String(64), index=True)   # the resident who filed it
    category: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    photos: Mapped[list[Any]] = mapped_column(JSON, default=list)      # [{media_id, url}]
    location: Mapped[dict[str, Any] | None] = mapped_column(JSON)     # {lat, lng, label}
    state: Mapped[str] = mapped_column(String(16), default=SUBMITTED)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("hot_cluster.id"), index=True)
    resolution: Mapped[str | None] = mapped_column(Text)       # 办结说明
    reject_reason: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    accept_due_at: Mapped[datetime | None]
    resolve_due_at: Mapped[datetime | None]
    asked_rating_at: Mapped[datetime | None]
    accept_reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    reopened: Mapped[int] = mapped_column(default=0)

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, "其他")

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    def overdue(self, now: datetime) -> bool:
        if self.state == SUBMITTED and self.accept_due_at and self.accept_due_at <= now:
            return True
        return bool(self.state in OPEN_STATES and self.resolve_due_at and self.resolve_due_at <= now)


class ComplaintEvent(Base):
    """One step of a request's timeline: who moved it from which state to which, and why."""

    __tablename__ = "complaint_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))    # resident / staff / system
    actor_id: Mapped[str] = mapped_column(String(64), default="")
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class ComplaintFollower(Base):
    """A resident who said "same problem" (or whose request was merged): told of every step."""

    __tablename__ = "complaint_follower"
    __table_args__ = (UniqueConstraint("complaint_id", "openid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ComplaintCounter(Base):
    """The last ticket number used on one community day (YYYYMMDD)."""

    __tablename__ = "complaint_counter"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)


class HotCluster(Base):
    """一事一议一决: many households reporting one kind of problem in one building, or across
    the buildings of one residential point (level "building" or "point")."""

    __tablename__ = "hot_cluster"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    category: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16), default="building")
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"), index=True)
    households: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]
    meeting_id: Mapped[int | None]     # the invitation meeting it became, if any


def next_ticket(session: Session, local_day: datetime) -> str:
    """The next TSYYYYMMDD-NNNN of that community day; unique under concurrent writers.

    The counter row is bumped by one atomic UPDATE … RETURNING (a row lock on PostgreSQL;
    SQLite transactions are BEGIN IMMEDIATE); the first ticket of a day inserts the row,
    and a writer that loses that race retries the UPDATE."""
    day = local_day.strftime("%Y%m%d")
    bump = update(ComplaintCounter).where(ComplaintCounter.day == day).values(
        n=ComplaintCounter.n + 1).returning(ComplaintCounter.n)
    for _ in range(3):
        n = session.execute(bump).scalar()
        if n is not None:
            return f"{TICKET_PREFIX}{day}-{n:04d}"
        try:
            with session.begin_nested():
                session.execute(insert(ComplaintCounter).values(day=day, n=1))
            return f"{TICKET_PREFIX}{day}-0001"
        except IntegrityError:
            continue
    raise RuntimeError(f"could not number a ticket for {day}")


def by_ticket(session: Session, ticket: str) -> Complaint | None:
    return session.scalars(select(Complaint).where(Complaint.ticket == ticket.upper())).first()


def visible_to(session: Session, complaint: Complaint, household_id: int) -> bool:
    """A household sees its own requests and the ones it follows, nothing else."""
    if complaint.household_id == household_id:
        return True
    return session.scalar(select(ComplaintFollower.id).where(
        ComplaintFollower.complaint_id == complaint.id,
        ComplaintFollower.household_id == household_id)) is not None


def audience(session: Session, complaint: Complaint) -> list[str]:
    """Who hears of a state change: the resident who filed it and every follower."""
    openids = [complaint.openid]
    openids += [o for o in session.scalars(select(ComplaintFollower.openid).where(
        ComplaintFollower.complaint_id == complaint.id).order_by(ComplaintFollower.id))
        if o not in openids]
    return openids


def follow(session: Session, complaint: Complaint, openid: str, household_id: int,
           now: datetime) -> bool:
    """Add a follower; False when they already follow it (or filed it)."""
    if complaint.openid == openid:
        return False
    exists = session.scalar(select(ComplaintFollower.id).where(
        ComplaintFollower.complaint_id == complaint.id, ComplaintFollower.openid == openid))
    if exists:
        return False
    session.add(ComplaintFollower(complaint_id=complaint.id, openid=openid,
                                  household_id=household_id, created_at=now))
    session.flush()
    return True


def recent_of(session: Session, openid: str, now: datetime, minutes: int) -> Complaint | None:
    """The resident's request filed in the last `minutes` (photos and location attach to it)."""
    return session.scalars(select(Complaint).where(
        Complaint.openid == openid, Complaint.created_at >= now - timedelta(minutes=minutes))
        .order_by(Complaint.id.desc())).first()
