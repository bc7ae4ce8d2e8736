"""Meeting exports: the roster as CSV (safe to open in a spreadsheet) and an iCalendar event."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from models.community import Household
from models.meetings import Meeting, Signup
from models.resident import Resident

STATUS_CN = {"confirmed": "报名成功", "waitlisted": "候补", "cancelled": "已取消"}
ROSTER_HEADERS = ["姓名", "住户", "状态", "候补顺序", "签到码", "签到时间"]


def cell(value: object) -> str:
    """Text a spreadsheet will not run as a formula (names come from residents)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def roster_csv(session, meeting_id: int, tz) -> str:  # type: ignore[no-untyped-def]
    """Everyone who signed up, in roster order (chat, console and CLI share it)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(ROSTER_HEADERS)
    rows = session.execute(
        select(Signup, Resident.name, Household.label)
        .outerjoin(Resident, Resident.openid == Signup.openid)
        .outerjoin(Household, Household.id == Signup.household_id)
        .where(Signup.meeting_id == meeting_id)
        .order_by(Signup.status, Signup.position, Signup.id))
    for su, name, label in rows:
        checked = su.checked_in_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if su.checked_in_at else ""
        w.writerow([cell(name), cell(label), STATUS_CN.get(su.status, su.status),
                    su.position or "", su.checkin_code if su.status == "confirmed" else "", checked])
    return buf.getvalue()


def ical(m: Meeting, settings) -> bytes:  # type: ignore[no-untyped-def]
    from icalendar import Calendar, Event
    tz = settings.community.tz
    cal = Calendar()
    cal.add("prodid", "-//Linli//meetings//ZH")
    cal.add("version", "2.0")
    ev = Event()
    host = (settings.server.base_url or "linli").split("//")[-1].split("/")[0] or "linli"
    ev.add("uid", f"meeting-{m.id}@{host}")
    ev.add("summary", f"{m.title}（{m.meeting_type}）")
    ev.add("dtstart", m.starts_at.astimezone(tz))
    ev.add("dtend", m.ends_at.astimezone(tz))
    ev.add("dtstamp", m.updated_at)
    ev.add("location", m.place)
    ev.add("description", m.agenda or "")
    ev.add("status", "CANCELLED" if m.state == "cancelled" else "CONFIRMED")
    ev.add("sequence", m.sequence)
    cal.add_component(ev)
    cal.add_missing_timezones()   # a VTIMEZONE for Asia/Shanghai, for clients that need one
    return cal.to_ical()
