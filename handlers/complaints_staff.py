"""Requests (民情诉求), the staff side by chat: 受理 / 转办 / 办结 / 驳回 / 合并 / 待办.

The dispatcher has already checked the role (models.authz) before any handler here runs."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.reply import Reply
from handlers.common import local, staff_of
from handlers.complaint_texts import TEXTS
from models import authz
from models.complaint_rules import (
    Actor,
    Push,
    TransitionError,
    cluster_meeting,
    household_label,
    merge,
    transition,
)
from models.complaints import (
    ACCEPTED,
    IN_PROGRESS,
    OPEN_STATES,
    REJECTED,
    RESOLVED,
    SUBMITTED,
    Complaint,
    HotCluster,
    by_ticket,
)
from models.community import households_in
from models.people import Staff

TICKET = re.compile(r"TS\d{8}-\d{4}", re.IGNORECASE)
TODO_LIMIT = 8
EXAMPLE = "TS20261127-0012"


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
    return c if c is not None else Reply(TEXTS["not_found"])


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


def _named_ticket(ctx: Context) -> str:
    return _slot(ctx, "ticket").upper() or TEXTS["describe_some_ticket"]


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
            if c.state == SUBMITTED:     # accepting on the way; the resident hears once
                transition(ctx.session, c, ACCEPTED, _actor(ctx), None, ctx.now)
            c.assignee_id = st.id
            note = f"转给{st.name}"
            resident_told = c.state == ACCEPTED     # already in progress: no state change to push
            if resident_told:
                transition(ctx.session, c, IN_PROGRESS, _actor(ctx), note, ctx.now, pusher(ctx))
            told = {(True, True): "both", (False, True): "staff", (True, False): "resident",
                    (False, False): "none"}[(resident_told, bool(st.openid))]
            if st.openid:
                ctx.push(st.openid, TEXTS["assigned_to_you"].format(
                    ticket=c.ticket, category=c.category_label, place=place_label(ctx, c),
                    text=_short(c.text, 60)), notice_key=f"ticket:{c.id}:assign:{st.id}:"
                    f"{ctx.now:%Y%m%d%H%M%S}", kind="ticket_staff")
            return TEXTS["assigned"].format(ticket=c.ticket, name=st.name, told=TEXTS[
                "assigned_told_" + told].format(name=st.name))
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
        tickets = [t.upper() for t in TICKET.findall(inbound.text or "")]
        if len(tickets) < 2:
            slots = ctx.slots
            tickets = [t for t in (slots.get("ticket"), slots.get("target")) if t]
        if len(tickets) < 2:
            return Reply(TEXTS["need_two"])
        child, parent = visible_ticket(ctx, tickets[0]), visible_ticket(ctx, tickets[1])
        if child is None or parent is None:
            return Reply(TEXTS["not_found"])
        try:
            merge(ctx.session, child, parent, _actor(ctx), ctx.now, pusher(ctx))
        except TransitionError as exc:
            return Reply(f"{child.ticket}：{exc}")
        return Reply(TEXTS["merged"].format(child=child.ticket, parent=parent.ticket))

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
        return Reply("\n".join(lines))
