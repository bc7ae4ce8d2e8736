"""Handler family: meetings — list, sign up, cancel, rate (residents). The staff side
(创建会议, 签到) is in handlers.meeting_staff; wording in handlers.meeting_texts."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.reply import Reply
from handlers import meeting_staff
from handlers.common import require_household, resident_community, staff_of
from handlers.meeting_texts import TEXTS, render
from models import meeting_signup as ms
from models.community import Household, community_of_key, contains
from models.meetings import SCHEDULED, TYPES, Meeting

MEETING_WORDS = re.compile("会议|" + "|".join(TYPES) + r"|开会|会开|(这次|那次|上次|昨天|今天|刚才)的?会")
RATE_COMMAND = re.compile(r"^\s*评价会议\s*(?:(\d+)\s*[ ,，]\s*)?(\d+)?\s*分?\s*$")
# 我的报名 / 我报名了哪些会 / 签到码是多少: what the resident signed up for, not a new sign-up.
MY_SIGNUPS = re.compile(r"我的(?:报名|签到码)|(?:报名|报)了(?:哪些|什么|几个|啥)|我报的|"
                        r"签到码(?:是)?(?:多少|几|呢|在哪)")
# A sign-up for more than one person (报名 1 2人, 我和老伴): a place is one person's (one openid).
PARTY = re.compile(r"(?:[2-9]|[1-9]\d|[两二三四五六七八九十几])\s*[个位]?\s*[人位]|我们?俩|全家|一家人|一家子"
                   r"|我和|和我|带[上着]?(?:老伴|爱人|家人|孩子)|老两口")


def _r(ctx: Context, key: str, m: Meeting | None = None, **extra: Any) -> Reply:
    return Reply(render(key, m, ctx.settings.community.tz, **extra))


# Finding meetings -----------------------------------------------------------------------
def open_meetings(ctx: Context, h: Household) -> list[Meeting]:
    """Upcoming meetings this household may join (in scope or invited), soonest first."""
    rows = ctx.session.scalars(select(Meeting).where(
        Meeting.state == SCHEDULED, Meeting.starts_at > ctx.now).order_by(Meeting.starts_at))
    return [m for m in rows if contains(m.scope, h) or ms.is_invited(ctx.session, m.id, h.id)]


def visible(ctx: Context, m: Meeting | None) -> Meeting | None:
    """A meeting of the resident's own community; another community's does not exist here."""
    if m is None:
        return None
    mine = resident_community(ctx)
    return m if mine is None or community_of_key(ctx.session, m.scope_key) == mine else None


def _matches(ctx: Context, m: Meeting, slots: dict[str, Any]) -> bool:
    t = m.starts_at.astimezone(ctx.settings.community.tz)
    if slots.get("date") and t.date() != date.fromisoformat(str(slots["date"])):
        return False
    if slots.get("weekday") and t.isoweekday() != int(slots["weekday"]):
        return False
    if slots.get("meeting_type") and m.meeting_type != slots["meeting_type"]:
        return False
    return True


def _what(ctx: Context, slots: dict[str, Any]) -> str:
    day = ""
    if slots.get("weekday"):
        day = "周" + "一二三四五六日"[int(slots["weekday"]) - 1]
    elif slots.get("date"):
        d = date.fromisoformat(str(slots["date"]))
        day = f"{d.month}月{d.day}日"
    return f"{day}的{slots.get('meeting_type') or '会议'}"


def _pick(ctx: Context, action: str, found: list[Meeting]) -> Reply:
    ctx.dialog.set("meeting.pick", action=action, ids=[m.id for m in found])
    tz = ctx.settings.community.tz
    # Each line is led by the meeting's own number, the one `pick` takes back (never a
    # position, which a resident would then type after 报名 as a meeting number).
    items = "\n".join(render("pick_item", m, tz, n=m.id) for m in found)
    return Reply(TEXTS["pick"].format(items=items))


# Residents ------------------------------------------------------------------------------
def list_meetings(ctx: Context, inbound: Inbound, pick: str | None = None) -> Reply:
    """The meetings the household may sign up for; with `pick`, a meeting number sent next
    does that action (报名 asked "which one?" and showed this list)."""
    h = require_household(ctx)
    if isinstance(h, Reply):
        return h
    if ctx.slots.get("meeting_id"):
        return detail(ctx, int(ctx.slots["meeting_id"]))
    found = [m for m in open_meetings(ctx, h) if m.signup_deadline >= ctx.now
             or ms.active_signup(ctx.session, m.id, ctx.openid)]
    # "最近有什么恳谈会" / "周三有什么会": narrow the list when that still leaves something
    found = [m for m in found if _matches(ctx, m, ctx.slots)] or found
    if not found:
        return Reply(TEXTS["list_none"])
    tz = ctx.settings.community.tz
    lines = [TEXTS["list_head"]]
    for m in found:   # led by the meeting's number: `报名 3` is the line that shows 3
        mine = _mine(ctx, m)
        lines.append(render("list_item", m, tz, n=m.id, left=_left(ctx, m, signed_up=bool(mine)),
                            mine=mine))
    lines.append(TEXTS["list_foot"].format(id=found[0].id))
    if pick is not None:
        ctx.dialog.set("meeting.pick", action=pick, ids=[m.id for m in found])
    return Reply("\n".join(lines))


def _left(ctx: Context, m: Meeting, signed_up: bool = False) -> str:
    left = ms.places_left(ctx.session, m, ctx.now)
    if left is None:
        return TEXTS["left_unlimited"]
    if left == 0:
        # "可报名候补" is not for someone who already has a place or a turn on the waitlist
        return "" if signed_up else TEXTS["left_full"].format(w=ms.waitlist_length(ctx.session, m.id))
    return TEXTS["left_n"].format(n=left)


def _mine(ctx: Context, m: Meeting) -> str:
    s = ms.active_signup(ctx.session, m.id, ctx.openid)
    if s is None:
        return ""
    if s.status == ms.CONFIRMED:
        return TEXTS["mine_confirmed"]
    return TEXTS["mine_waitlisted"].format(n=s.position)


def detail(ctx: Context, meeting_id: int) -> Reply:
    m = visible(ctx, ctx.session.get(Meeting, meeting_id))
    if m is None:
        return _r(ctx, "refuse_not_found", id=meeting_id)
    return _r(ctx, "detail", m, left=_left(ctx, m),
              agenda=m.agenda or TEXTS["detail_no_agenda"])


def my_signups(ctx: Context) -> Reply:
    """我的报名 / 签到码是多少: the resident's coming meetings, with their check-in codes."""
    mine = _my_meetings(ctx)
    if not mine:
        return Reply(TEXTS["my_none"])
    tz = ctx.settings.community.tz
    lines = [TEXTS["my_head"]]
    for m in mine:
        s = ms.active_signup(ctx.session, m.id, ctx.openid)
        status = (TEXTS["my_confirmed"].format(code=s.checkin_code) if s is not None and s.status == ms.CONFIRMED
                  else TEXTS["my_waitlisted"].format(n=s.position if s is not None else "?"))
        lines.append(render("my_item", m, tz, status=status))
    lines.append(TEXTS["my_foot"].format(id=mine[0].id))
    return Reply("\n".join(lines))


def signup(ctx: Context, inbound: Inbound) -> Reply:
    h = require_household(ctx)
    if isinstance(h, Reply):
        return h
    slots = ctx.slots
    if not slots.get("meeting_id") and MY_SIGNUPS.search(inbound.text or ""):
        return my_signups(ctx)
    if PARTY.search(inbound.text or ""):
        return _each_signs_up(ctx, h)
    if slots.get("meeting_id"):
        return _sign_up(ctx, h, int(slots["meeting_id"]))
    if not any(slots.get(k) for k in ("weekday", "date", "meeting_type")):
        return Reply(TEXTS["which_meeting"] + list_meetings(ctx, inbound, pick="signup").text)
    found = [m for m in open_meetings(ctx, h) if _matches(ctx, m, slots)]
    if not found:
        return Reply(TEXTS["no_match"].format(what=_what(ctx, slots)))
    if len(found) > 1:
        return _pick(ctx, "signup", found)
    return _sign_up(ctx, h, found[0].id)


def _each_signs_up(ctx: Context, h: Household) -> Reply:
    """One place per person: nothing is booked, and the reply says how each one signs up."""
    meeting_id = ctx.slots.get("meeting_id")
    if not meeting_id:
        found = [m for m in open_meetings(ctx, h) if _matches(ctx, m, ctx.slots)]
        if not found:
            return Reply(TEXTS["list_none"])
        meeting_id = found[0].id
    return Reply(TEXTS["each_signs_up"].format(id=meeting_id))


def _sign_up(ctx: Context, h: Household, meeting_id: int) -> Reply:
    if visible(ctx, ctx.session.get(Meeting, meeting_id)) is None:
        return _r(ctx, "refuse_not_found", id=meeting_id)
    res = ms.sign_up(ctx.session, meeting_id, openid=ctx.openid, household=h, now=ctx.now)
    m, s = res.meeting, res.signup
    if res.reason == "confirmed":
        assert s is not None
        return _r(ctx, "signed_up", m, code=s.checkin_code)
    if res.reason == "waitlisted":
        assert s is not None
        return _r(ctx, "waitlisted", m, n=s.position)
    if res.reason == "already":
        assert s is not None
        if s.status == ms.CONFIRMED:
            return _r(ctx, "already_confirmed", m, code=s.checkin_code)
        return _r(ctx, "already_waitlisted", m, n=s.position)
    if m is None:
        return _r(ctx, "refuse_not_found", id=meeting_id)
    return _r(ctx, "refuse_" + res.reason, m)


def _my_meetings(ctx: Context) -> list[Meeting]:
    q = (select(Meeting).join(ms.Signup, ms.Signup.meeting_id == Meeting.id)
         .where(ms.Signup.openid == ctx.openid, ms.Signup.status.in_(ms.ACTIVE),
                Meeting.state == SCHEDULED, Meeting.starts_at > ctx.now)
         .order_by(Meeting.starts_at))
    return list(ctx.session.scalars(q))


def _cancel_target(ctx: Context) -> list[Meeting]:
    slots = ctx.slots
    if slots.get("meeting_id"):
        m = ctx.session.get(Meeting, int(slots["meeting_id"]))
        return [m] if m else []
    return [m for m in _my_meetings(ctx) if _matches(ctx, m, slots)]


def describe_cancel(ctx: Context) -> str:
    found = _cancel_target(ctx)
    if len(found) == 1:
        return TEXTS["describe_cancel"].format(title=found[0].title)
    return TEXTS["describe_cancel_any"]


def cancel(ctx: Context, inbound: Inbound) -> Reply:
    h = require_household(ctx)
    if isinstance(h, Reply):
        return h
    if ctx.slots.get("meeting_id"):
        return _cancel(ctx, int(ctx.slots["meeting_id"]))
    mine = _my_meetings(ctx)
    if not mine:
        return Reply(TEXTS["cancel_none"])
    found = [m for m in mine if _matches(ctx, m, ctx.slots)]
    if len(found) == 1:
        return _cancel(ctx, found[0].id)
    return _pick(ctx, "cancel", found or mine)


def _cancel(ctx: Context, meeting_id: int) -> Reply:
    res = ms.cancel_signup(ctx.session, meeting_id, openid=ctx.openid, now=ctx.now)
    if res.reason == "not_found":
        return _r(ctx, "refuse_not_found", id=meeting_id)
    if res.reason == "not_signed_up":
        return _r(ctx, "cancel_not_signed_up", res.meeting)
    if res.reason == "over":
        return _r(ctx, "cancel_over", res.meeting)
    tz = ctx.settings.community.tz
    for s in res.promoted:
        ctx.push(s.openid, render("promoted", res.meeting, tz, code=s.checkin_code),
                 notice_key=f"meeting:{meeting_id}:promoted:{s.id}:{int(ctx.now.timestamp())}",
                 kind="meeting")
    return _r(ctx, "cancelled", res.meeting)


def pick(ctx: Context, inbound: Inbound) -> Reply | None:
    """The answer is a meeting's number as the list showed it (its id)."""
    text = (inbound.text or "").strip()
    ids = ctx.dialog.data.get("ids", [])
    if not (text.isdigit() and int(text) in ids):
        return None
    action, meeting_id = ctx.dialog.data.get("action"), int(text)
    ctx.dialog.clear()
    if action == "cancel":
        return _cancel(ctx, meeting_id)
    h = require_household(ctx)
    return h if isinstance(h, Reply) else _sign_up(ctx, h, meeting_id)


# Rating -----------------------------------------------------------------------------------
def rate(ctx: Context, inbound: Inbound) -> Reply:
    slots = ctx.slots
    meeting_id, score = slots.get("meeting_id"), slots.get("score")
    if meeting_id is None:
        waiting = ms.rateable(ctx.session, ctx.openid)
        if not waiting:
            return Reply(TEXTS["rate_nothing"])
        meeting_id = waiting[0].id
    if score is None:
        return Reply(TEXTS["rate_usage"].format(id=meeting_id))
    outcome, m = ms.rate(ctx.session, int(meeting_id), ctx.openid, int(score), ctx.now)
    if m is None:
        return _r(ctx, "rate_not_found", id=meeting_id)
    return _r(ctx, "rate_" + outcome, m, score=score)


def rate_command(text: str) -> dict[str, int] | None:
    """Slots of `评价会议 [编号] 分数`, or None when the text is not that command."""
    match = RATE_COMMAND.match(text)
    if not match:
        return None
    slots = {}
    if match.group(1):
        slots["meeting_id"] = int(match.group(1))
    if match.group(2):
        slots["score"] = int(match.group(2))
    return slots


def _names_a_meeting(ctx: Context, text: str) -> bool:
    """A rating text about a meeting (not a request) from someone with a meeting to rate."""
    if ctx.slots.get("meeting_id"):
        return True
    if ctx.slots.get("ticket") or not MEETING_WORDS.search(text):
        return False
    return bool(ms.rateable(ctx.session, ctx.openid))


# Registration -----------------------------------------------------------------------------
def register(d: Dispatcher) -> None:
    """Adds this family's intents, states and events."""
    d.intent("meeting.list")(list_meetings)
    d.intent("meeting.signup")(signup)
    d.intent("meeting.cancel", irreversible=True, describe=describe_cancel)(cancel)
    d.intent("meeting.rate")(rate)

    @d.fallback
    def my_code(ctx: Context, inbound: Inbound) -> Reply | None:
        """签到码是多少 from a resident reads as the staff command 签到: show their sign-ups."""
        if MY_SIGNUPS.search(inbound.text or "") and staff_of(ctx) is None:
            return my_signups(ctx)
        return None
    meeting_staff.register(d)
    d.state("meeting.pick")(pick)
    d.menu_item(40, "社区会议", "meeting.list")
    _route_ratings(d)


def _route_ratings(d: Dispatcher) -> None:
    """`评价会议 …` until the NLU knows a meeting.rate intent (it reads as unknown today),
    and complaint.rate texts that are about a meeting the resident attended."""
    def hook(ctx: Context, reply: Reply) -> Reply:
        u = ctx.understanding
        if u is None or u.intent != "unknown" or ctx.dialog.state != "menu":
            return reply   # only the "didn't understand" menu is replaced
        slots = rate_command(ctx.inbound.text or "")
        if slots is None:
            return reply
        ctx.dialog.clear()
        return d.run_intent(ctx, "meeting.rate", slots=slots)

    d.reply_hooks.append(hook)
    spec = d.intents.get("complaint.rate")
    if spec is None:
        return
    original = spec.handler

    def complaint_or_meeting(ctx: Context, inbound: Inbound) -> Reply:
        if _names_a_meeting(ctx, inbound.text or ""):
            return rate(ctx, inbound)
        return original(ctx, inbound)

    d.intents["complaint.rate"] = replace(spec, handler=complaint_or_meeting)
