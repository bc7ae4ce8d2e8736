"""Staff side of meetings by chat: 创建会议 (a short dialog) and 签到 <会议编号> <签到码>."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.reply import Reply
from handlers.common import staff_community, staff_community_scope, staff_of, staff_sees_key
from handlers.meeting_texts import TEXTS, render, when_text
from models import meeting_signup as ms
from models.community import Household, Place, Scope, scope_key_in
from models.meetings import TYPES, Meeting, MeetingError, create_meeting
from models.resident import Resident


CHECKIN_WINDOW = timedelta(hours=6)   # a code alone finds a meeting starting this close to now


def _r(ctx: Context, key: str, m: Meeting | None = None, **extra: Any) -> Reply:
    return Reply(render(key, m, ctx.settings.community.tz, **extra))


def register(d: Dispatcher) -> None:
    d.intent("meeting.create", staff=True)(create)
    d.intent("meeting.checkin", staff=True)(checkin)
    d.state("meeting.create")(create_step)


def checkin(ctx: Context, inbound: Inbound) -> Reply:
    meeting_id, code = ctx.slots.get("meeting_id"), ctx.slots.get("code")
    if meeting_id is None and code:
        meeting_id = _meeting_of_code(ctx, str(code))
    if meeting_id is None or not code:
        return Reply(TEXTS["checkin_usage"])
    mine = ctx.session.get(Meeting, int(meeting_id))
    if mine is None or not staff_sees_key(ctx, mine.scope_key):   # another community's
        return _r(ctx, "checkin_not_found", None, id=meeting_id, code=code)
    staff = staff_of(ctx)
    outcome, s = ms.check_in(ctx.session, int(meeting_id), str(code), now=ctx.now,
                             by=staff.name if staff else ctx.openid)
    m = ctx.session.get(Meeting, int(meeting_id))
    who: dict[str, Any] = {"name": "", "household": ""}
    if s is not None:
        r = ctx.session.scalars(select(Resident).where(Resident.openid == s.openid)).first()
        h = ctx.session.get(Household, s.household_id) if s.household_id else None
        who = {"name": (r.name if r else None) or "居民", "household": h.label if h else "未绑定"}
    if outcome == "ok":
        n = sum(1 for a in ms.attendees(ctx.session, int(meeting_id)) if a.checked_in_at)
        return _r(ctx, "checkin_ok", m, n=n, **who)
    if outcome == "again" and s is not None and s.checked_in_at is not None:
        return _r(ctx, "checkin_again", m, at=when_text(s.checked_in_at, ctx.settings.community.tz), **who)
    if outcome == "waitlisted":
        return _r(ctx, "checkin_waitlisted", m, **who)
    if outcome in ("too_early", "too_late") and m is not None:
        return Reply(checkin_window_text(m, outcome, ctx.settings.community.tz))
    return _r(ctx, "checkin_" + outcome, None, id=meeting_id, code=code)


def checkin_window_text(m: Meeting, outcome: str, tz: Any) -> str:
    """Why a check-in outside the window was not recorded, with the meeting's times."""
    return render("checkin_" + outcome, m, tz, opens=when_text(ms.checkin_opens(m), tz),
                  closes=when_text(ms.checkin_closes(m), tz))


def _meeting_of_code(ctx: Context, code: str) -> int | None:
    """`签到 042517` without the meeting: the one meeting around now that has this code."""
    around = (ctx.now - CHECKIN_WINDOW, ctx.now + CHECKIN_WINDOW)
    q = (select(Meeting.id).join(ms.Signup, ms.Signup.meeting_id == Meeting.id)
         .where(ms.Signup.checkin_code == code.strip(), Meeting.state != "cancelled",
                Meeting.starts_at.between(*around)))
    cid = staff_community(ctx)
    if cid is not None:   # only the staff member's own community's meetings
        q = q.where(scope_key_in(Meeting.scope_key, cid))
    ids = list(ctx.session.scalars(q.limit(2)))
    return ids[0] if len(ids) == 1 else None


def staff_scope(ctx: Context) -> Scope | None:
    staff = staff_of(ctx)
    if staff and staff.scope_kind in ("point", "building", "unit") and staff.scope_id:
        p = ctx.session.get(Place, staff.scope_id)
        if p is not None:
            return Scope(staff.scope_kind, p.id, p.label)
    return staff_community_scope(ctx)


def create(ctx: Context, inbound: Inbound) -> Reply:
    data: dict[str, Any] = {"step": "title"}
    title = str(ctx.slots.get("title") or "").strip()
    if title:
        data.update(title=title, step="type")
        kind = ctx.slots.get("meeting_type") or next((t for t in TYPES if t in title), None)
        if kind:
            data.update(type=kind, step="when")
    return _ask(ctx, data)


def _ask(ctx: Context, data: dict[str, Any]) -> Reply:
    ctx.dialog.set("meeting.create", **data)
    step = data["step"]
    if step == "type":
        items = "\n".join(f"{i}. {t}" for i, t in enumerate(TYPES, 1))
        return Reply(TEXTS["create_type"].format(items=items))
    if step == "confirm":
        tz = ctx.settings.community.tz
        cap = data["capacity"] or "不限"
        return Reply(TEXTS["create_confirm"].format(
            title=data["title"], type=data["type"], place=data["place"], cap=cap,
            when=when_text(datetime.fromisoformat(data["when"]), tz), scope=data["scope"]))
    return Reply(TEXTS["create_" + step])


def create_step(ctx: Context, inbound: Inbound) -> Reply | None:
    data, text = dict(ctx.dialog.data), (inbound.text or "").strip()
    step = data.get("step")
    if step == "title":
        kind = next((t for t in TYPES if t in text), None)
        data.update(title=text[:120], step="when" if kind else "type", type=kind)
    elif step == "type":
        kind = TYPES[int(text) - 1] if text.isdigit() and 1 <= int(text) <= len(TYPES) else (
            text if text in TYPES else None)
        if kind is None:
            return _ask(ctx, data)
        data.update(type=kind, step="when")
    elif step == "when":
        from bot.nlu.timeparse import find_when
        found = find_when(text, ctx.now)
        if found is None or found.clock is None:
            return Reply(TEXTS["create_when_bad"])
        at = datetime.combine(found.day, found.clock, tzinfo=ctx.settings.community.tz)
        if at <= ctx.now:
            return Reply(TEXTS["create_when_bad"])
        data.update(when=at.isoformat(), step="place")
    elif step == "place":
        data.update(place=text[:200], step="capacity")
    elif step == "capacity":
        if not text.isdigit():
            return Reply(TEXTS["create_capacity_bad"])
        scope = staff_scope(ctx)
        if scope is None:
            ctx.dialog.clear()
            return Reply(TEXTS["create_no_scope"])
        data.update(capacity=int(text) or None, scope=scope.label, scope_key=scope.key,
                    step="confirm")
    elif step == "confirm":
        return _create_confirmed(ctx, data, text)
    return _ask(ctx, data)


def _create_confirmed(ctx: Context, data: dict[str, Any], text: str) -> Reply | None:
    from handlers.basic import NO, YES
    if NO.match(text):
        ctx.dialog.clear()
        return Reply(TEXTS["create_aborted"])
    if not YES.match(text):
        return _ask(ctx, data)
    ctx.dialog.clear()
    staff = staff_of(ctx)
    try:
        m = create_meeting(ctx.session, title=data["title"], meeting_type=data["type"],
                           starts_at=datetime.fromisoformat(data["when"]), place=data["place"],
                           scope=Scope.from_key(data["scope_key"], data["scope"]), now=ctx.now,
                           capacity=data["capacity"], created_by=staff.name if staff else ctx.openid)
    except MeetingError as exc:
        return Reply(f"{exc}。请重新发送“创建会议”。")
    return Reply(TEXTS["create_done"].format(id=m.id))
