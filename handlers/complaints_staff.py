"""Requests (民情诉求), the staff side by chat: 受理 / 转办 / 办结 / 驳回 / 合并 / 待办.

The dispatcher has already checked the role (models.authz) before any handler here runs."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select

from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.reply import Reply
from handlers.basic import NO, YES
from handlers.common import local, staff_of
from handlers.complaint_texts import TEXTS
from models import authz
from models.complaint_handover import Assigned, MergeNeedsConfirmation, merge
from models.complaint_handover import assign as assign_to
from models.complaint_rules import (
    Actor,
    Push,
    TransitionError,
    cluster_meeting,
    household_label,
    refusal,
    transition,
)
from models.complaints import (
    ACCEPTED,
    OPEN_STATES,
    REJECTED,
    RESOLVED,
    Complaint,
    HotCluster,
    by_ticket,
)
from models.community import households_in
from models.people import Staff

TICKET = re.compile(r"TS\d{8}-\d{4}", re.IGNORECASE)
TODO_LIMIT = 8
EXAMPLE = "TS20261127-0012"
TODO_STATE = "complaint.todo_list"
MERGE_STATE = "complaint.merge_confirm"
# 受理 2 / 办结 第3条 修好了 / 转办 0004 刘网格: a number where the ticket should be. What
# follows it fills the intent's other slot (the NLU reads "转办 2 刘网格" as assignee "2").
NUMBERED = re.compile(r"^\s*(受理|办结|转办|驳回)\s*第?\s*(\d{1,4})\s*[条号]?(?:[\s，,：:]+(.*))?$")
MERGE_NUMBERED = re.compile(r"^\s*合并\s*第?\s*(\d{1,4})\s*[条号]?\s*(?:到|和|进|[,，\s])\s*"
                            r"第?\s*(\d{1,4})\s*[条号]?\s*$")
VERBS = {"受理": "complaint.accept", "办结": "complaint.resolve", "转办": "complaint.assign",
         "驳回": "complaint.reject"}
REST_SLOT = {"complaint.resolve": "note", "complaint.assign": "assignee", "complaint.reject": "reason"}


def _short(text: str, n: int = 24) -> str:
    return text if len(text) <= n else text[:n] + "…"


def place_label(ctx: Context, c: Complaint) -> str:
    """Down to unit and room, so a 网格员 can find the flat."""
    return household_label(ctx.session, c)


def pusher(ctx: Context) -> Push:
    def push(openid: str, text: str, key: str) -> None:
        ctx.push(openid, text, notice_key=key, kind="ticket")
    return push


def _actor(ctx: Context) -> Actor:
    st = staff_of(ctx)
    return Actor("staff", str(st.id) if st else ctx.openid)


def visible_ticket(ctx: Context, ticket: str) -> Complaint | None:
    """The request, when it is this staff member's business (their scope, or assigned to
    them); a request of another community or place does not exist for them."""
    c = by_ticket(ctx.session, ticket)
    if c is None or not authz.handles(ctx.session, staff_of(ctx), c.household_id, c.assignee_id):
        return None
    return c


def _ticket(ctx: Context, verb: str) -> Complaint | Reply:
    ticket = ctx.slots.get("ticket")
    if not ticket:
        return Reply(TEXTS["need_ticket"].format(example=f"{verb} {EXAMPLE}"))
    c = visible_ticket(ctx, ticket)
    return c if c is not None else Reply(TEXTS["not_found_staff"])


def _act(ctx: Context, verb: str, fn: Callable[[Complaint], str]) -> Reply:
    """Find the ticket, run the action; a refused transition answers with its reason."""
    c = _ticket(ctx, verb)
    if isinstance(c, Reply):
        return c
    try:
        return Reply(fn(c))
    except TransitionError as exc:
        return Reply(f"{c.ticket}：{exc}")


def _slot(ctx: Context, *names: str) -> str:
    return next((str(v).strip() for n in names if (v := ctx.slots.get(n))), "")


def staff_pusher(ctx: Context) -> Push:
    def push(openid: str, text: str, key: str) -> None:
        ctx.push(openid, text, notice_key=key, kind="ticket_staff")
    return push


def _by_number(ctx: Context, number: str, listed: list[str]) -> Complaint | None:
    """A number written for a ticket: the n-th line of the 待办 list just shown (1, 2 …), else
    the short form of today's ticket (0004 or 4 → TS<today>-0004), if this person handles it."""
    if listed and not number.startswith("0"):
        # a list was just shown: its line, or nothing (never today's ticket of that number)
        c = visible_ticket(ctx, listed[int(number) - 1]) if 1 <= int(number) <= len(listed) else None
    else:
        day = ctx.now.astimezone(ctx.settings.community.tz).strftime("%Y%m%d")
        c = visible_ticket(ctx, f"TS{day}-{int(number):04d}") if int(number) else None
    return c if c is not None and c.state in OPEN_STATES else None   # a closed one is no one's task


def resolve_number(ctx: Context, listed: list[str]) -> bool | None:
    """Put the ticket a number stands for into the understood slots (so the confirmation shows
    it and carries it). None: no number written; False: a number that matches nothing."""
    u = ctx.understanding
    both = MERGE_NUMBERED.match(ctx.inbound.text or "")
    if u is not None and both and u.intent == "complaint.merge" and not _slot(ctx, "target"):
        child, parent = _by_number(ctx, both[1], listed), _by_number(ctx, both[2], listed)
        if child is None or parent is None:
            ctx.extra["unresolved_number"] = ("合并", both[1] if child is None else both[2])
            return False
        ctx.understanding = replace(u, slots={**u.slots, "ticket": child.ticket, "target": parent.ticket,
                                              "picked": True})
        return True
    m = NUMBERED.match(ctx.inbound.text or "")
    if u is None or m is None or _slot(ctx, "ticket"):
        return None
    intent = VERBS[m[1]]
    # 驳回 3 reads as refusing binding request 3; right after 待办 it is the 3rd request
    if intent != u.intent and not (listed and intent == "complaint.reject"):
        return None
    c = _by_number(ctx, m[2], listed)
    if c is None:
        ctx.extra["unresolved_number"] = (m[1], m[2])
        return False
    slots = {**u.slots, "ticket": c.ticket, "picked": True}
    if intent in REST_SLOT:
        slots[REST_SLOT[intent]] = (m[3] or "").strip()
        if not slots[REST_SLOT[intent]]:
            del slots[REST_SLOT[intent]]
    ctx.understanding = replace(u, intent=intent, slots=slots)
    return True


def _named_ticket(ctx: Context) -> str:
    if not _slot(ctx, "ticket"):
        resolve_number(ctx, [])
    ticket = _slot(ctx, "ticket").upper()
    if not ticket:
        return TEXTS["describe_some_ticket"]
    c = visible_ticket(ctx, ticket) if ctx.slots.get("picked") else None
    return f"{ticket}（{c.category_label}｜{place_label(ctx, c)}）" if c is not None else ticket


# What a staff command inferred from free text would do, for "您是要……吗？".
DESCRIBE: dict[str, Callable[[Context], str]] = {
    "complaint.accept": lambda ctx: TEXTS["describe_accept"].format(ticket=_named_ticket(ctx)),
    "complaint.assign": lambda ctx: TEXTS["describe_assign"].format(
        ticket=_named_ticket(ctx), name=_slot(ctx, "assignee") or "别人"),
    "complaint.resolve": lambda ctx: TEXTS["describe_resolve"].format(
        ticket=_named_ticket(ctx), note=_slot(ctx, "note") or TEXTS["describe_no_note"]),
    "complaint.reject": lambda ctx: TEXTS["describe_reject"].format(
        ticket=_named_ticket(ctx), reason=_slot(ctx, "reason", "note") or TEXTS["describe_no_note"]),
    "complaint.merge": lambda ctx: TEXTS["describe_merge"].format(
        child=_named_ticket(ctx), parent=_slot(ctx, "target").upper() or TEXTS["describe_some_ticket"]),
    "complaint.todo": lambda ctx: TEXTS["describe_todo"],
    "complaint.cluster_meeting": lambda ctx: TEXTS["describe_cluster"].format(
        cluster=_slot(ctx, "cluster", "number")),
}


def register(d: Dispatcher) -> None:
    @d.intent("complaint.accept", staff=True, describe=DESCRIBE["complaint.accept"])
    def accept(ctx: Context, inbound: Inbound) -> Reply:
        def do(c: Complaint) -> str:
            transition(ctx.session, c, ACCEPTED, _actor(ctx), None, ctx.now, pusher(ctx))
            st = staff_of(ctx)
            if c.assignee_id is None and st is not None:
                c.assignee_id = st.id
            return TEXTS["accepted"].format(ticket=c.ticket)
        return _act(ctx, "受理", do)

    @d.intent("complaint.assign", staff=True, describe=DESCRIBE["complaint.assign"])
    def assign(ctx: Context, inbound: Inbound) -> Reply:
        def do(c: Complaint) -> str:
            name = (ctx.slots.get("assignee") or "").strip()
            if not name:
                return TEXTS["need_assignee"].format(ticket=c.ticket)
            people = list(ctx.session.scalars(select(Staff).where(
                Staff.active.is_(True), authz.staff_of_community(ctx.session, c.community_id))
                .order_by(Staff.id)))
            st = next((p for p in people if p.name == name), None)
            if st is None:
                return TEXTS["no_such_staff"].format(
                    name=name, names="、".join(p.name for p in people if p.openid))
            if c.state not in OPEN_STATES:
                return TEXTS["cannot_assign"].format(ticket=c.ticket, state=c.state_label)
            done = assign_to(ctx.session, c, st, _actor(ctx), ctx.now, pusher(ctx), staff_pusher(ctx))
            return TEXTS["assigned"].format(ticket=c.ticket, name=st.name, told=told_text(done, st.name))
        return _act(ctx, "转办", do)

    @d.intent("complaint.resolve", staff=True, describe=DESCRIBE["complaint.resolve"])
    def resolve(ctx: Context, inbound: Inbound) -> Reply:
        def do(c: Complaint) -> str:
            note = (ctx.slots.get("note") or "").strip()
            if not note:
                return TEXTS["need_note"].format(ticket=c.ticket)
            transition(ctx.session, c, RESOLVED, _actor(ctx), note, ctx.now, pusher(ctx))
            return TEXTS["resolved"].format(ticket=c.ticket)
        return _act(ctx, "办结", do)

    @d.intent("complaint.reject", staff=True, describe=DESCRIBE["complaint.reject"])
    def reject(ctx: Context, inbound: Inbound) -> Reply:
        def do(c: Complaint) -> str:
            reason = (ctx.slots.get("reason") or ctx.slots.get("note") or "").strip()
            if not reason:
                return TEXTS["need_reason"].format(ticket=c.ticket)
            transition(ctx.session, c, REJECTED, _actor(ctx), reason, ctx.now, pusher(ctx))
            return TEXTS["rejected"].format(ticket=c.ticket)
        return _act(ctx, "驳回", do)

    @d.intent("complaint.merge", staff=True, describe=DESCRIBE["complaint.merge"])
    def merge_intent(ctx: Context, inbound: Inbound) -> Reply:
        if resolve_number(ctx, list(ctx.dialog.data.get("tickets", []))) is False:
            return _forms(ctx)
        tickets = [t.upper() for t in TICKET.findall(inbound.text or "")]
        if len(tickets) < 2:
            slots = ctx.slots
            tickets = [t for t in (slots.get("ticket"), slots.get("target")) if t]
        if len(tickets) < 2:
            return Reply(TEXTS["need_two"])
        return _merge(ctx, tickets[0], tickets[1], confirmed=False)

    @d.state(MERGE_STATE, confirms=True)
    def merge_confirm(ctx: Context, inbound: Inbound) -> Reply | None:
        """合并 of two requests of another category or building: 1 merges, 2 leaves both."""
        text = (inbound.text or "").strip()
        data = dict(ctx.dialog.data)
        if NO.match(text):
            ctx.dialog.clear()
            return Reply(TEXTS["merge_cancelled"])
        if not (YES.match(text) or text.rstrip("。.!！") == "合并"):
            return None
        ctx.dialog.clear()
        return _merge(ctx, data.get("child", ""), data.get("parent", ""), confirmed=True)

    @d.intent("complaint.cluster_meeting", staff=True, describe=DESCRIBE["complaint.cluster_meeting"])
    def cluster_to_meeting(ctx: Context, inbound: Inbound) -> Reply:
        """转恳谈会 <热点编号> <时间> <地点>: a hot issue becomes an invitation meeting."""
        slots = ctx.slots
        number = slots.get("cluster") or slots.get("number")
        when, place = slots.get("when"), (slots.get("place") or "").strip()
        if not (number and when and place):
            return Reply(TEXTS["need_cluster_parts"])
        cluster = ctx.session.get(HotCluster, int(number))
        if cluster is None or not authz.sees(ctx.session, staff_of(ctx), cluster.community_id):
            return Reply(f"没有编号为 {number} 的热点问题\n" + TEXTS["need_cluster_parts"])
        try:
            starts_at = datetime.fromisoformat(str(when))
            meeting = cluster_meeting(ctx.session, int(number), starts_at=starts_at, place=place,
                                      now=ctx.now, created_by=ctx.openid)
        except ValueError as exc:     # MeetingError is one too: a Chinese message
            return Reply(f"{exc}\n" + TEXTS["need_cluster_parts"])
        ctx.pushed.extend(getattr(meeting, "queued_ids", []) or [])
        invited = len({c.household_id for c in ctx.session.scalars(
            select(Complaint).where(Complaint.cluster_id == int(number)))})
        return Reply(TEXTS["cluster_meeting"].format(
            cluster=number, meeting=meeting.id, when=local(ctx, starts_at),  # type: ignore[attr-defined]
            place=place, n=invited))

    @d.intent("complaint.todo", staff=True, describe=DESCRIBE["complaint.todo"])
    def todo(ctx: Context, inbound: Inbound) -> Reply:
        st = staff_of(ctx)
        q = select(Complaint).where(Complaint.state.in_(OPEN_STATES))
        scope = authz.scope_of(ctx.session, st) if st is not None else None
        if st is not None and scope is not None:   # their scope, and whatever was assigned to them
            inside = (Complaint.community_id == scope.id if scope.kind == "community"
                      else Complaint.household_id.in_(households_in(scope)))
            q = q.where(inside | (Complaint.assignee_id == st.id))
        if st is not None and st.role in ("网格员", "社工"):   # theirs and the unassigned
            q = q.where((Complaint.assignee_id == st.id) | Complaint.assignee_id.is_(None))
        rows = list(ctx.session.scalars(q.order_by(Complaint.created_at, Complaint.id)))
        if not rows:
            return Reply(TEXTS["todo_empty"])
        rows.sort(key=lambda c: (not c.overdue(ctx.now), c.created_at))
        lines = [TEXTS["todo_head"].format(n=len(rows))]
        for i, c in enumerate(rows[:TODO_LIMIT], 1):
            lines.append(TEXTS["todo_line"].format(
                i=i, flag=TEXTS["overdue_flag"] if c.overdue(ctx.now) else "", ticket=c.ticket,
                category=c.category_label, state=c.state_label, place=place_label(ctx, c),
                text=_short(c.text)))
        if len(rows) > TODO_LIMIT:
            lines.append(TEXTS["todo_more"].format(n=len(rows) - TODO_LIMIT))
        lines.append(TEXTS["todo_foot"])
        ctx.dialog.set(TODO_STATE, tickets=[c.ticket for c in rows[:TODO_LIMIT]])
        return Reply("\n".join(lines))

    @d.state(TODO_STATE, quiet=True)
    def todo_pick(ctx: Context, inbound: Inbound) -> Reply | None:
        """受理 2 after 待办: the 2nd line of the list just shown (confirmed, naming the ticket)."""
        u = ctx.understanding
        found = resolve_number(ctx, list(ctx.dialog.data.get("tickets", [])))
        if found is None or u is None:
            return None
        if not found:
            return _forms(ctx)
        return d.run_understood(ctx, ctx.understanding)

    def forms_instead_of_question(ctx: Context, reply: Reply) -> Reply:
        """A number that matches no ticket: say which forms work, rather than ask
        "您是要受理 一条诉求（还没写编号）吗？" and then ask for the number again."""
        if "unresolved_number" in ctx.extra and ctx.dialog.state == "confirm":
            ctx.dialog.clear()
            return _forms(ctx)
        u = ctx.understanding
        if (u is not None and u.intent == "complaint.merge" and ctx.dialog.state == "confirm"
                and not (_slot(ctx, "ticket") and _slot(ctx, "target"))):
            ctx.dialog.clear()     # 合并 without two numbers: say how, do not ask about nothing
            return Reply(TEXTS["need_two"])
        return reply
    d.reply_hooks.append(forms_instead_of_question)


def _forms(ctx: Context) -> Reply:
    verb, number = ctx.extra.pop("unresolved_number", ("受理", ""))
    return Reply(TEXTS["number_forms"].format(verb=verb, number=number))


def told_text(done: Assigned, name: str) -> str:
    """Who heard of a reassignment, in one sentence or two."""
    told = {(True, True): "both", (False, True): "staff", (True, False): "resident",
            (False, False): "none"}[(done.resident_told, done.assignee_told)]
    text = TEXTS["assigned_told_" + told].format(name=name)
    if done.previous is not None:
        key = "assigned_previous_told" if done.previous_told else "assigned_previous_untold"
        text += TEXTS[key].format(name=done.previous.name)
    return text


def _merge(ctx: Context, child_ticket: str, parent_ticket: str, *, confirmed: bool) -> Reply:
    child, parent = visible_ticket(ctx, child_ticket), visible_ticket(ctx, parent_ticket)
    if child is None or parent is None:
        return Reply(TEXTS["not_found_staff"])
    try:
        merge(ctx.session, child, parent, _actor(ctx), ctx.now, pusher(ctx), confirmed=confirmed,
              staff_push=staff_pusher(ctx))
    except MergeNeedsConfirmation as exc:
        ctx.dialog.set(MERGE_STATE, child=child.ticket, parent=parent.ticket)
        return Reply(TEXTS["merge_check"].format(warning=exc, child=exc.lines[0], parent=exc.lines[1]))
    except TransitionError as exc:
        return Reply(f"{child.ticket}：{exc}")
    return Reply(TEXTS["merged"].format(child=child.ticket, parent=parent.ticket))


def offer_resolve(ctx: Context, note: str) -> Reply:
    """Staff free text that reads like a resident's verdict (我已经处理好了TS…，杂物已清走):
    offer 办结 of the ticket they named, or say how staff write it."""
    c = visible_ticket(ctx, _slot(ctx, "ticket")) if _slot(ctx, "ticket") else None
    if c is None:
        return Reply(TEXTS["not_found_staff" if _slot(ctx, "ticket") else "staff_forms"])
    why = refusal(c.state, RESOLVED)
    if why:
        return Reply(f"{c.ticket}：{why}")
    ctx.dialog.set("confirm", intent="complaint.resolve", slots={"ticket": c.ticket, "note": note})
    return Reply(TEXTS["staff_done_offer"].format(ticket=c.ticket, note=note))
