"""Scheduled jobs for meetings: release held places, remind 24 h and 1 h before, mark done.

Each is a function of (database state, now): a reminder is claimed by setting its
reminded_* column with a conditional UPDATE before the push is queued, and the push's
notice key is unique per (meeting, kind, person), so running twice sends nothing new.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from handlers.meeting_texts import render
from models import meeting_signup as ms
from models.db import transaction
from models.meetings import DONE, SCHEDULED, Meeting, Signup, get_meeting
from notices import deliver
from notices.jobs import JobEnv, job

REMINDERS = (("24h", timedelta(hours=24)), ("1h", timedelta(hours=1)))


@job("meetings.release", order=40)
def release_reservations(env: JobEnv, now: datetime) -> int:
    """Give places held for invited households, unclaimed by reserved_until, to the waitlist."""
    tz = env.settings.community.tz
    with transaction(env.factory) as s:
        ids = list(s.scalars(select(Meeting.id).where(
            Meeting.state == SCHEDULED, Meeting.reserved_until <= now,
            Meeting.reservations_released_at.is_(None), Meeting.starts_at > now)))
    done = 0
    for meeting_id in ids:
        with transaction(env.factory) as s:
            m = get_meeting(s, meeting_id, lock=True)
            if m is None or m.reservations_released_at is not None:
                continue
            m.reservations_released_at = now
            for p in ms.fill_places(s, m, now):
                deliver.enqueue(s, p.openid, render("promoted", m, tz, code=p.checkin_code),
                                notice_key=f"meeting:{m.id}:promoted:{p.id}:{int(now.timestamp())}",
                                kind="meeting", now=now)
                done += 1
    return done


@job("meetings.remind", order=45)
def remind(env: JobEnv, now: datetime) -> int:
    """Remind confirmed attendees 24 h and 1 h before, once each (the 1 h one wins when both
    are due; nobody is reminded of a meeting they signed up for inside that window)."""
    tz = env.settings.community.tz
    sent = 0
    with transaction(env.factory) as s:
        for label, ahead in reversed(REMINDERS):   # 1 h first: it marks the 24 h one as moot
            column = getattr(Signup, f"reminded_{label}_at")
            due = s.execute(select(Signup, Meeting).join(Meeting, Meeting.id == Signup.meeting_id)
                            .where(Meeting.state == SCHEDULED, Meeting.starts_at > now,
                                   Meeting.starts_at <= now + ahead, Signup.status == ms.CONFIRMED,
                                   column.is_(None)).order_by(Signup.id)).all()
            for signup, m in due:
                values = {column.key: now}
                if label == "1h":
                    values["reminded_24h_at"] = signup.reminded_24h_at or now
                claimed = s.execute(update(Signup).where(Signup.id == signup.id, column.is_(None))
                                    .values(**values)).rowcount
                joined_late = (signup.confirmed_at or signup.created_at) > m.starts_at - ahead
                if not claimed or joined_late:
                    continue
                text = render(f"push_remind_{label}", m, tz, code=signup.checkin_code)
                if deliver.enqueue(s, signup.openid, text, notice_key=f"meeting:{m.id}:remind{label}",
                                   kind="meeting", now=now) is not None:
                    sent += 1
    return sent


@job("meetings.finish", order=55)
def finish(env: JobEnv, now: datetime) -> int:
    """Mark meetings done once they have ended."""
    with transaction(env.factory) as s:
        return s.execute(update(Meeting).where(Meeting.state == SCHEDULED, Meeting.ends_at <= now)
                         .values(state=DONE, updated_at=now)).rowcount
