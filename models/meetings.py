"""Meetings (恳谈会 / 协调会 / 听证会 / 评议会 / 楼道议事会 / 现场办公会): the rows, creating
and editing them, and the invitation meetings made from a hot-issue cluster.

Sign-up, waitlist, check-in and rating rules live in models.meeting_signup.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    DDL,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow
from models.community import Scope, community_scope

TYPES = ("恳谈会", "协调会", "听证会", "评议会", "楼道议事会", "现场办公会")
SCHEDULED, CANCELLED, DONE = "scheduled", "cancelled", "done"
CONFIRMED, WAITLISTED, WITHDRAWN = "confirmed", "waitlisted", "cancelled"
DEFAULT_LENGTH = timedelta(hours=2)
# Places held for invited households are released this long before the meeting at the
# latest (then anyone on the waitlist may take them), and are held at least this long.
RESERVE_RELEASE_BEFORE = timedelta(hours=48)
RESERVE_AT_LEAST = timedelta(hours=24)


class MeetingError(ValueError):
    """A meeting value that cannot be used; `field` names it (title, type, at, ...)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class Meeting(Base):
    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_state_starts", "state", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    meeting_type: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None]                      # None: no limit
    signup_deadline: Mapped[datetime]
    scope_key: Mapped[str] = mapped_column(String(32))  # "point:3" (models.community.Scope)
    scope_label: Mapped[str] = mapped_column(String(160), default="")
    state: Mapped[str] = mapped_column(String(12), default=SCHEDULED)
    # Invitation meetings: places held for invited households until this time.
    reserved_until: Mapped[datetime | None]
    reservations_released_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    outcome_posted_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    sequence: Mapped[int] = mapped_column(default=0)   # iCalendar SEQUENCE: +1 per change
    # Confirmed sign-ups, counted by the database itself (triggers on meeting_signup, see
    # CAPACITY_TRIGGERS) and held to the capacity by this CHECK, so a bug that skips the
    # meeting lock in models.meeting_signup is refused instead of overfilling the room.
    # Never written from Python; a loaded Meeting's copy is stale after sign-ups change.
    confirmed: Mapped[int] = mapped_column(
        CheckConstraint("confirmed >= 0 AND (capacity IS NULL OR confirmed <= capacity)",
                        name="capacity"), default=0, server_default="0")

    @property
    def scope(self) -> Scope:
        return Scope.from_key(self.scope_key, self.scope_label)


class Signup(Base):
    """One person's place at a meeting. A cancelled row is re-used if they sign up again,
    so (meeting, openid) is unique: one active sign-up per person."""

    __tablename__ = "meeting_signup"
    __table_args__ = (
        UniqueConstraint("meeting_id", "openid"),
        UniqueConstraint("meeting_id", "checkin_code"),
        Index("ix_meeting_signup_status", "meeting_id", "status", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    openid: Mapped[str] = mapped_column(String(64), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    status: Mapped[str] = mapped_column(String(12))
    position: Mapped[int | None]            # 1.. on the waitlist, dense; None otherwise
    checkin_code: Mapped[str] = mapped_column(String(6))
    invited: Mapped[bool] = mapped_column(default=False)
    checked_in_at: Mapped[datetime | None]
    checked_in_by: Mapped[str | None] = mapped_column(String(64))
    reminded_24h_at: Mapped[datetime | None]
    reminded_1h_at: Mapped[datetime | None]
    rating: Mapped[int | None]
    rated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class Invitation(Base):
    """A household invited first to an invitation meeting (e.g. the reporters of a hot issue)."""

    __tablename__ = "meeting_invitation"
    __table_args__ = (UniqueConstraint("meeting_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# The capacity guard: meeting.confirmed follows the confirmed sign-ups, statement by
# statement, whoever writes them; its CHECK (ck_meeting_capacity) refuses the write that
# would overfill a meeting. On PostgreSQL the counter's UPDATE also locks the meeting row,
# so two transactions that both skipped the lock still queue and the second is refused.
# Migration 0006_capacity_guard creates the same (keep both in step).
CAPACITY_CHECK = "ck_meeting_capacity"
CAPACITY_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER meeting_signup_confirmed_ins AFTER INSERT ON meeting_signup "
        "WHEN NEW.status = 'confirmed' BEGIN "
        "UPDATE meeting SET confirmed = confirmed + 1 WHERE id = NEW.meeting_id; END",
        "CREATE TRIGGER meeting_signup_confirmed_del AFTER DELETE ON meeting_signup "
        "WHEN OLD.status = 'confirmed' BEGIN "
        "UPDATE meeting SET confirmed = confirmed - 1 WHERE id = OLD.meeting_id; END",
        "CREATE TRIGGER meeting_signup_confirmed_upd AFTER UPDATE OF status, meeting_id "
        "ON meeting_signup WHEN OLD.status IS NOT NEW.status "
        "OR OLD.meeting_id IS NOT NEW.meeting_id BEGIN "
        "UPDATE meeting SET confirmed = confirmed - 1 "
        "WHERE id = OLD.meeting_id AND OLD.status = 'confirmed'; "
        "UPDATE meeting SET confirmed = confirmed + 1 "
        "WHERE id = NEW.meeting_id AND NEW.status = 'confirmed'; END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION meeting_signup_confirmed() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP <> 'INSERT' AND OLD.status = 'confirmed' THEN "
        "UPDATE meeting SET confirmed = confirmed - 1 WHERE id = OLD.meeting_id; END IF; "
        "IF TG_OP <> 'DELETE' AND NEW.status = 'confirmed' THEN "
        "UPDATE meeting SET confirmed = confirmed + 1 WHERE id = NEW.meeting_id; END IF; "
        "RETURN NULL; END $$",
        "CREATE TRIGGER meeting_signup_confirmed_ins AFTER INSERT ON meeting_signup "
        "FOR EACH ROW WHEN (NEW.status = 'confirmed') "
        "EXECUTE FUNCTION meeting_signup_confirmed()",
        "CREATE TRIGGER meeting_signup_confirmed_del AFTER DELETE ON meeting_signup "
        "FOR EACH ROW WHEN (OLD.status = 'confirmed') "
        "EXECUTE FUNCTION meeting_signup_confirmed()",
        "CREATE TRIGGER meeting_signup_confirmed_upd AFTER UPDATE OF status, meeting_id "
        "ON meeting_signup FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status "
        "OR OLD.meeting_id IS DISTINCT FROM NEW.meeting_id) "
        "EXECUTE FUNCTION meeting_signup_confirmed()",
    ],
}
for _dialect, _statements in CAPACITY_TRIGGERS.items():
    for _sql in _statements:   # a schema made by create_all gets them too
        event.listen(Signup.__table__, "after_create", DDL(_sql).execute_if(dialect=_dialect))


def over_capacity(exc: IntegrityError) -> bool:
    """The database refused a write because it would overfill a meeting."""
    return CAPACITY_CHECK in str(exc.orig)


# Creating and editing ---------------------------------------------------------------------
def check_values(*, title: str, meeting_type: str, starts_at: datetime, place: str,
                 capacity: int | None, now: datetime, deadline: datetime | None = None,
                 ends_at: datetime | None = None) -> None:
    """Raise MeetingError naming the first bad value."""
    if not title.strip():
        raise MeetingError("title", "会议名称不能为空")
    if meeting_type not in TYPES:
        raise MeetingError("type", f"会议类型应为 {' / '.join(TYPES)} 之一")
    if starts_at <= now:
        raise MeetingError("at", "会议时间已经过去了")
    if not place.strip():
        raise MeetingError("place", "会议地点不能为空")
    if capacity is not None and capacity < 1:
        raise MeetingError("capacity", "人数上限至少为 1（不限人数请留空）")
    if deadline is not None and deadline > starts_at:
        raise MeetingError("deadline", "报名截止时间不能晚于会议开始时间")
    if ends_at is not None and ends_at <= starts_at:
        raise MeetingError("ends", "结束时间应晚于开始时间")


def create_meeting(session: Session, *, title: str, meeting_type: str, starts_at: datetime,
                   place: str, scope: Scope, now: datetime, agenda: str = "",
                   capacity: int | None = None, deadline: datetime | None = None,
                   ends_at: datetime | None = None, created_by: str = "") -> Meeting:
    check_values(title=title, meeting_type=meeting_type, starts_at=starts_at, place=place,
                 capacity=capacity, now=now, deadline=deadline, ends_at=ends_at)
    m = Meeting(title=title.strip(), meeting_type=meeting_type, starts_at=starts_at,
                ends_at=ends_at or starts_at + DEFAULT_LENGTH, place=place.strip(),
                agenda=agenda or "", capacity=capacity, signup_deadline=deadline or starts_at,
                scope_key=scope.key, scope_label=scope.label, state=SCHEDULED,
                created_by=created_by, created_at=now, updated_at=now)
    session.add(m)
    session.flush()
    return m


def create_invitation_meeting(session: Session, *, title: str, meeting_type: str,
                              starts_at: datetime, place: str, household_ids: list[int],
                              now: datetime, agenda: str = "", capacity: int | None = None,
                              scope: Scope | None = None, created_by: str = "") -> Meeting:
    """A meeting that invites these households first, and pushes them the invitation.

    Priority: each invited household holds one place (up to the capacity) until
    `reserved_until` = the later of (now + 24 h) and (start − 48 h), never after the
    sign-up deadline. Until then, others are confirmed only into the unheld places and
    otherwise waitlisted; an invited household's first sign-up takes its held place. The
    `meetings.release` job then gives unclaimed held places to the waitlist in order.
    The pushes are queued (Delivery rows in this transaction); `meeting.queued_ids` holds
    their ids for the caller to send after commit (the deliveries.send_due job also will).
    """
    from notices.fanout import push_to_households  # models stay below notices at import time

    if scope is None and household_ids:   # the invited households' own community
        from models.community import Household
        first = session.get(Household, household_ids[0])
        scope = community_scope(session, first.community_id) if first else None
    scope = scope or community_scope(session)
    if scope is None:
        raise MeetingError("scope", "还没有社区数据，无法确定会议范围")
    m = create_meeting(session, title=title, meeting_type=meeting_type, starts_at=starts_at,
                       place=place, scope=scope, now=now, agenda=agenda, capacity=capacity,
                       created_by=created_by)
    unique_ids = list(dict.fromkeys(household_ids))
    for hid in unique_ids:
        session.add(Invitation(meeting_id=m.id, household_id=hid, created_at=now))
    if unique_ids and capacity is not None:
        m.reserved_until = min(max(now + RESERVE_AT_LEAST, starts_at - RESERVE_RELEASE_BEFORE),
                               m.signup_deadline)
    session.flush()
    text = invitation_text(m)
    ids = push_to_households(session, unique_ids, text, notice_key=f"meeting:{m.id}:invite",
                             kind="meeting", now=now)
    m.queued_ids = ids  # type: ignore[attr-defined]
    return m


def invitation_text(m: Meeting) -> str:
    from zoneinfo import ZoneInfo
    t = m.starts_at.astimezone(ZoneInfo("Asia/Shanghai"))
    return (f"诚邀您家参加{m.meeting_type}“{m.title}”：{t.month}月{t.day}日 {t:%H:%M}，"
            f"地点：{m.place}。已为您家预留名额，回复“报名 {m.id}”即可报名。")


EDITABLE = ("title", "meeting_type", "starts_at", "ends_at", "place", "agenda", "capacity",
            "signup_deadline")


def edit_meeting(session: Session, m: Meeting, now: datetime, **changes: Any) -> list[str]:
    """Apply changes (keys from EDITABLE; None = unchanged); returns the changed field names.
    Call with the meeting locked (get_meeting(lock=True)). Lowering the capacity below the
    confirmed count is refused with a MeetingError, never an IntegrityError; raising it
    fills places (the caller runs meeting_signup.fill_places under the meeting lock)."""
    from models.meeting_signup import confirmed_count

    if m.state != SCHEDULED:
        raise MeetingError("id", "会议已取消或已结束，不能再修改")
    new = {k: v for k, v in changes.items() if v is not None and getattr(m, k) != v}
    unknown = set(new) - set(EDITABLE)
    if unknown:
        raise MeetingError(sorted(unknown)[0], "这一项不能修改")
    starts = new.get("starts_at", m.starts_at)
    if "starts_at" in new and "ends_at" not in new:
        new["ends_at"] = starts + (m.ends_at - m.starts_at)
    deadline = new.get("signup_deadline", m.signup_deadline)
    if "starts_at" in new and "signup_deadline" not in new and m.signup_deadline == m.starts_at:
        deadline = new["signup_deadline"] = starts
    check_values(title=new.get("title", m.title), meeting_type=new.get("meeting_type", m.meeting_type),
                 starts_at=starts, place=new.get("place", m.place),
                 capacity=new.get("capacity", m.capacity), now=now, deadline=deadline,
                 ends_at=new.get("ends_at", m.ends_at))

    def too_low() -> MeetingError:
        return MeetingError("capacity", f"已有 {confirmed_count(session, m.id)} 人报名成功，"
                                        "人数上限不能低于这个数")

    if "capacity" in new and new["capacity"] < confirmed_count(session, m.id):
        raise too_low()
    # Written at once, so the database's capacity check answers here (a sign-up that got in
    # without the meeting lock) rather than as an IntegrityError at the caller's commit.
    try:
        with session.begin_nested():
            for k, v in new.items():
                setattr(m, k, v)
            if new:
                m.updated_at, m.sequence = now, m.sequence + 1
            session.flush()
    except IntegrityError as exc:
        if not over_capacity(exc):
            raise
        raise too_low() from exc
    return sorted(new)


def get_meeting(session: Session, meeting_id: int, *, lock: bool = False) -> Meeting | None:
    """The meeting, fresh from the database; with lock=True, its row is locked (PostgreSQL
    FOR UPDATE; on SQLite the whole transaction already holds the write lock)."""
    q = select(Meeting).where(Meeting.id == meeting_id).execution_options(populate_existing=True)
    if lock:
        q = q.with_for_update()
    return session.scalars(q).first()


def invited_households(session: Session, meeting_id: int) -> list[int]:
    return list(session.scalars(select(Invitation.household_id)
                                .where(Invitation.meeting_id == meeting_id)))
