"""Sign-up rules: confirmed until capacity, then a dense waitlist (1, 2, 3 …); cancelling
promotes the first waitlisted; check-in codes; ratings after the outcome.

Every change to a meeting's sign-ups first locks the meeting row (get_meeting(lock=True):
SELECT … FOR UPDATE on PostgreSQL; on SQLite every transaction is BEGIN IMMEDIATE), so
counting and then inserting is atomic across workers: capacity is never exceeded and
waitlist positions never collide. The unique (meeting, openid) constraint backs the
"one sign-up per person" rule even if a caller forgets the lock, and the database's own
count of confirmed places (meeting.confirmed, ck_meeting_capacity) backs the capacity:
should it ever refuse a confirmation here, the person is waitlisted instead (_write).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.community import Household, contains
from models.meetings import (
    CONFIRMED,
    SCHEDULED,
    WAITLISTED,
    WITHDRAWN,
    Invitation,
    Meeting,
    MeetingError,
    Signup,
    get_meeting,
    over_capacity,
)

ACTIVE = (CONFIRMED, WAITLISTED)
# Check-in is open from shortly before the start until the end (people arrive early, and
# a code typed a week ahead is a mistake, not an arrival).
CHECKIN_OPENS_BEFORE = timedelta(hours=2)
CHECKIN_CLOSES_AFTER = timedelta(hours=4)   # when a meeting has no end time


@dataclass
class SignupResult:
    """ok: confirmed or waitlisted; otherwise `reason` says why (a TEXTS key in handlers)."""

    reason: str                 # confirmed / waitlisted / not_found / cancelled / done /
    #                             started / deadline / scope / already
    meeting: Meeting | None = None
    signup: Signup | None = None

    @property
    def ok(self) -> bool:
        return self.reason in ACTIVE


@dataclass
class CancelResult:
    reason: str                 # cancelled / not_found / not_signed_up / over
    meeting: Meeting | None = None
    signup: Signup | None = None
    promoted: list[Signup] = field(default_factory=list)


# Counting ---------------------------------------------------------------------------------
def confirmed_count(session: Session, meeting_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Signup).where(
        Signup.meeting_id == meeting_id, Signup.status == CONFIRMED)) or 0


def waitlist_length(session: Session, meeting_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Signup).where(
        Signup.meeting_id == meeting_id, Signup.status == WAITLISTED)) or 0


def unclaimed_reservations(session: Session, m: Meeting, now: datetime) -> int:
    """Places still held for invited households that have no confirmed sign-up."""
    if m.capacity is None or m.reserved_until is None or now >= m.reserved_until:
        return 0
    claimed = select(Signup.household_id).where(Signup.meeting_id == m.id,
                                                Signup.status == CONFIRMED,
                                                Signup.household_id.is_not(None))
    n = session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.meeting_id == m.id, Invitation.household_id.not_in(claimed))) or 0
    return n


def is_invited(session: Session, meeting_id: int, household_id: int | None) -> bool:
    if household_id is None:
        return False
    return session.scalar(select(Invitation.id).where(
        Invitation.meeting_id == meeting_id, Invitation.household_id == household_id)) is not None


def places_left(session: Session, m: Meeting, now: datetime) -> int | None:
    """Places open to anyone now (None: no limit)."""
    if m.capacity is None:
        return None
    taken = confirmed_count(session, m.id) + unclaimed_reservations(session, m, now)
    return max(0, m.capacity - taken)


def _household_holds_place(session: Session, m: Meeting, household_id: int | None,
                           now: datetime) -> bool:
    """An invited household with no confirmed member yet, while places are still held."""
    if m.reserved_until is None or now >= m.reserved_until or household_id is None:
        return False
    if not is_invited(session, m.id, household_id):
        return False
    return session.scalar(select(Signup.id).where(
        Signup.meeting_id == m.id, Signup.household_id == household_id,
        Signup.status == CONFIRMED)) is None


def _can_confirm(session: Session, m: Meeting, household_id: int | None, now: datetime) -> bool:
    if m.capacity is None:
        return True
    confirmed = confirmed_count(session, m.id)
    if confirmed >= m.capacity:
        return False
    if _household_holds_place(session, m, household_id, now):
        return True
    return confirmed + unclaimed_reservations(session, m, now) < m.capacity


def _new_code(session: Session, meeting_id: int) -> str:
    taken = set(session.scalars(select(Signup.checkin_code).where(Signup.meeting_id == meeting_id)))
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        if code not in taken:
            return code


# Sign up / cancel -------------------------------------------------------------------------
def refusal(session: Session, m: Meeting | None, household: Household | None,
            now: datetime) -> str | None:
    """Why this household may not sign up now, or None."""
    if m is None:
        return "not_found"
    if m.state == "cancelled":
        return "cancelled"
    if m.state != SCHEDULED or now >= m.ends_at:
        return "done"
    if now >= m.starts_at:
        return "started"
    if now > m.signup_deadline:
        return "deadline"
    if household is None or not contains(m.scope, household):
        if household is None or not is_invited(session, m.id, household.id):
            return "scope"
    return None


def sign_up(session: Session, meeting_id: int, *, openid: str, household: Household | None,
            now: datetime) -> SignupResult:
    """Confirm or waitlist this person, under the meeting's row lock."""
    m = get_meeting(session, meeting_id, lock=True)
    why = refusal(session, m, household, now)
    if why is not None:
        return SignupResult(why, m)
    assert m is not None
    row = session.scalars(select(Signup).where(Signup.meeting_id == m.id,
                                               Signup.openid == openid)).first()
    if row is not None and row.status in ACTIVE:
        return SignupResult("already", m, row)
    hid = household.id if household else None
    # Decide before touching the row, so no half-built row is autoflushed by the counts.
    invited = is_invited(session, m.id, hid)
    code = row.checkin_code if row is not None else _new_code(session, m.id)
    fields = dict(household_id=hid, created_at=now, cancelled_at=None, invited=invited)
    saved = None
    if _can_confirm(session, m, hid, now):
        saved = _write(session, row, m.id, openid, code,
                       fields | dict(status=CONFIRMED, position=None, confirmed_at=now))
    if saved is None:   # full, or the database found it full
        saved = _write(session, row, m.id, openid, code, fields | dict(
            status=WAITLISTED, position=waitlist_length(session, m.id) + 1, confirmed_at=None))
    assert saved is not None   # a waitlisted row takes no place: never refused as over capacity
    return SignupResult(saved.status, m, saved)


def _write(session: Session, row: Signup | None, meeting_id: int, openid: str, code: str,
           fields: dict[str, Any]) -> Signup | None:
    """Write the sign-up (a new row when `row` is None) in a savepoint; None when the
    database refuses it as over capacity (then nothing of it is left in the session)."""
    try:
        with session.begin_nested():
            if row is None:
                row = Signup(meeting_id=meeting_id, openid=openid, checkin_code=code)
                session.add(row)
            for k, v in fields.items():
                setattr(row, k, v)
            session.flush()
    except IntegrityError as exc:
        if not over_capacity(exc):
            raise
        return None
    return row


def active_signup(session: Session, meeting_id: int, openid: str) -> Signup | None:
    return session.scalars(select(Signup).where(
        Signup.meeting_id == meeting_id, Signup.openid == openid,
        Signup.status.in_(ACTIVE))).first()


def cancel_signup(session: Session, meeting_id: int, *, openid: str,
                  now: datetime) -> CancelResult:
    """Withdraw; a freed place goes to the first on the waitlist (see fill_places)."""
    m = get_meeting(session, meeting_id, lock=True)
    if m is None:
        return CancelResult("not_found")
    row = active_signup(session, m.id, openid)
    if row is None:
        return CancelResult("not_signed_up", m)
    if m.state != SCHEDULED or now >= m.starts_at:
        return CancelResult("over", m, row)
    was_waiting = row.position
    row.status, row.position, row.cancelled_at = WITHDRAWN, None, now
    session.flush()
    if was_waiting is not None:
        _close_gap(session, m.id, was_waiting)
    promoted = fill_places(session, m, now)
    return CancelResult("cancelled", m, row, promoted)


def _close_gap(session: Session, meeting_id: int, position: int) -> None:
    session.execute(update(Signup).where(
        Signup.meeting_id == meeting_id, Signup.status == WAITLISTED,
        Signup.position > position).values(position=Signup.position - 1))


def fill_places(session: Session, m: Meeting, now: datetime) -> list[Signup]:
    """Promote from the waitlist, in order, while places are free. Call with the meeting
    row locked. A held place is taken only by someone of the household it is held for."""
    promoted: list[Signup] = []
    if m.state != SCHEDULED:
        return promoted
    while True:
        waiting = list(session.scalars(select(Signup).where(
            Signup.meeting_id == m.id, Signup.status == WAITLISTED).order_by(Signup.position)))
        nxt = next((w for w in waiting if _can_confirm(session, m, w.household_id, now)), None)
        if nxt is None:
            return promoted
        pos = nxt.position or 0
        if _write(session, nxt, m.id, nxt.openid, nxt.checkin_code,
                  dict(status=CONFIRMED, position=None, confirmed_at=now)) is None:
            return promoted   # the database counts the meeting full: nobody else fits
        _close_gap(session, m.id, pos)
        promoted.append(nxt)


def cancel_meeting(session: Session, m: Meeting, now: datetime) -> list[str]:
    """Cancel; returns the openids signed up (they are all told)."""
    m = get_meeting(session, m.id, lock=True) or m
    openids = list(session.scalars(select(Signup.openid).where(
        Signup.meeting_id == m.id, Signup.status.in_(ACTIVE)).order_by(Signup.id)))
    m.state, m.cancelled_at, m.updated_at = "cancelled", now, now
    m.sequence += 1
    return openids


def signed_up_openids(session: Session, meeting_id: int) -> list[str]:
    return list(session.scalars(select(Signup.openid).where(
        Signup.meeting_id == meeting_id, Signup.status.in_(ACTIVE)).order_by(Signup.id)))


# Check-in, outcome, rating ----------------------------------------------------------------
def check_in(session: Session, meeting_id: int, code: str, *, by: str,
             now: datetime) -> tuple[str, Signup | None]:
    """('ok' | 'again' | 'not_found' | 'bad_code' | 'waitlisted' | 'cancelled' | 'too_early' |
    'too_late', signup)."""
    m = session.get(Meeting, meeting_id)
    if m is None:
        return "not_found", None
    if m.state == "cancelled":
        return "cancelled", None
    early_late = checkin_window_refusal(m, now)
    if early_late is not None:
        return early_late, None
    row = session.scalars(select(Signup).where(Signup.meeting_id == meeting_id,
                                               Signup.checkin_code == code.strip())).first()
    if row is None or row.status == WITHDRAWN:
        return "bad_code", row
    if row.status == WAITLISTED:
        return "waitlisted", row
    if row.checked_in_at is not None:
        return "again", row
    claimed = session.execute(update(Signup).where(
        Signup.id == row.id, Signup.checked_in_at.is_(None)).values(
        checked_in_at=now, checked_in_by=by)).rowcount
    session.refresh(row)
    return ("ok" if claimed else "again"), row


def checkin_opens(m: Meeting) -> datetime:
    return m.starts_at - CHECKIN_OPENS_BEFORE


def checkin_closes(m: Meeting) -> datetime:
    return m.ends_at if m.ends_at is not None else m.starts_at + CHECKIN_CLOSES_AFTER


def checkin_window_refusal(m: Meeting, now: datetime) -> str | None:
    """'too_early' before check-in opens, 'too_late' after the meeting ended, else None."""
    if now < checkin_opens(m):
        return "too_early"
    if now > checkin_closes(m):
        return "too_late"
    return None


def attendees(session: Session, meeting_id: int) -> list[Signup]:
    """Who attended: those checked in, or (when nobody checked in) those confirmed."""
    confirmed = list(session.scalars(select(Signup).where(
        Signup.meeting_id == meeting_id, Signup.status == CONFIRMED).order_by(Signup.id)))
    checked = [s for s in confirmed if s.checked_in_at is not None]
    return checked or confirmed


def post_outcome(session: Session, m: Meeting, text: str, now: datetime) -> list[Signup]:
    """Record the minutes; returns the attendees to tell (empty when already posted).
    Raises MeetingError("at") before the meeting has started: there is nothing to report yet."""
    m = get_meeting(session, m.id, lock=True) or m
    if now < m.starts_at:
        raise MeetingError("at", "会议还没有开始，开始后才能发布会议结果")
    first = m.outcome_posted_at is None
    m.outcome, m.updated_at = text.strip(), now
    if not first:
        return []
    m.outcome_posted_at = now
    return attendees(session, m.id)


def rateable(session: Session, openid: str) -> list[Meeting]:
    """Meetings this person attended whose outcome is posted: unrated first, newest first."""
    rows = session.execute(select(Meeting, Signup).join(Signup, Signup.meeting_id == Meeting.id)
                           .where(Signup.openid == openid, Signup.status == CONFIRMED,
                                  Meeting.outcome_posted_at.is_not(None))
                           .order_by(Meeting.outcome_posted_at.desc()))
    found = [(s.rating is not None, m) for m, s in rows if s in attendees(session, m.id)]
    return [m for _, m in sorted(found, key=lambda pair: pair[0])]


def rate(session: Session, meeting_id: int, openid: str, score: int,
         now: datetime) -> tuple[str, Meeting | None]:
    """('ok' | 'not_found' | 'not_yet' | 'not_attended' | 'bad_score' | 'again', meeting)."""
    m = session.get(Meeting, meeting_id)
    if m is None:
        return "not_found", None
    if not 1 <= score <= 5:
        return "bad_score", m
    if m.outcome_posted_at is None:
        return "not_yet", m
    row = active_signup(session, m.id, openid)
    if row is None or row.status != CONFIRMED or row not in attendees(session, m.id):
        return "not_attended", m
    again = row.rating is not None
    row.rating, row.rated_at = score, now
    return ("again" if again else "ok"), m


def average_rating(session: Session, meeting_id: int) -> tuple[float | None, int]:
    avg, n = session.execute(select(func.avg(Signup.rating), func.count(Signup.rating)).where(
        Signup.meeting_id == meeting_id, Signup.rating.is_not(None))).one()
    return (float(avg) if avg is not None else None), int(n)

