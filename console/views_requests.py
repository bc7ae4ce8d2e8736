"""Requests (民情诉求) in the console: the queue with filters (state, category, building,
overdue; overdue first), one request with its timeline, and every staff action of the
requests family (accept, in progress, assign, resolve, reject, merge) through its
`transition` / `merge`, which push each step to the resident."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from console.auth import current_staff, requires
from console.queries import limit_to_scope
from console.tenancy import community_id, require_community
from console.web import bp, db, now, send_soon
from models.authz import handles, staff_of_community
from models.community import BUILDING, Place
from models.complaint_rules import Actor, TransitionError, merge, transition
from models.complaints import (ACCEPTED, CATEGORIES, IN_PROGRESS, OPEN_STATES, REJECTED, RESOLVED,
                               STATE_LABELS, SUBMITTED, Complaint, ComplaintEvent, by_ticket)
from models.people import Staff
from notices import deliver

PAGE = 100
ACTIONS = {   # form action → (permission, label)
    "accept": ("complaint.accept", "受理"),
    "progress": ("complaint.accept", "转为处理中"),
    "assign": ("complaint.assign", "转办"),
    "resolve": ("complaint.resolve", "办结"),
    "reject": ("complaint.reject", "驳回"),
    "merge": ("complaint.merge", "合并"),
}
TEXTS = {
    "assigned_to_you": "【转办】{ticket} {category}（{place}）\n“{text}”\n办好后回复“办结 {ticket} 说明”。",
    "need_note": "请写上办理说明（会发给居民）。",
    "need_reason": "请写上驳回原因（会发给居民）。",
    "need_assignee": "请选择转给谁。",
    "need_target": "请写上要合并到的诉求编号。",
    "not_found": "找不到编号为 {ticket} 的诉求。",
    "cannot_assign": "该诉求{state}，不能再转办。",
    "done": "{ticket}：已{label}，已通知居民。",
}


def _overdue_expr(t: datetime) -> Any:
    return (Complaint.state.in_(OPEN_STATES)
            & (((Complaint.state == SUBMITTED) & (Complaint.accept_due_at <= t))
               | (Complaint.resolve_due_at <= t)))


def _buildings(s: Session, staff: Staff | None) -> list[Place]:
    q = select(Place).where(Place.kind == BUILDING)
    cid = community_id(s, staff)
    if cid is not None:
        q = q.where(Place.community_id == cid)
    return list(s.scalars(q.order_by(Place.label)))


def _visible(s: Session, staff: Staff | None, c: Complaint | None) -> Complaint:
    """404 for no such request or one of another community; 403 for one of their own
    community outside the place they serve (unless it was assigned to them)."""
    if c is None:
        abort(404)
    require_community(s, staff, c.community_id)
    if not handles(s, staff, c.household_id, c.assignee_id):
        abort(403)
    return c


@bp.get("/requests")
@requires("complaint.todo")
def requests() -> Any:
    t = now()
    f = {k: (request.args.get(k) or "").strip() for k in ("state", "category", "building", "overdue")}
    q = select(Complaint)
    if f["state"] == "open":
        q = q.where(Complaint.state.in_(OPEN_STATES))
    elif f["state"] in STATE_LABELS:
        q = q.where(Complaint.state == f["state"])
    if f["category"] in CATEGORIES:
        q = q.where(Complaint.category == f["category"])
    if f["building"].isdigit():
        q = q.where(Complaint.building_id == int(f["building"]))
    if f["overdue"] == "1":
        q = q.where(_overdue_expr(t))
    q = q.order_by(case((_overdue_expr(t), 0), else_=1), Complaint.created_at.desc())
    with db() as s:
        q = limit_to_scope(q, Complaint.household_id, s, current_staff(), Complaint.community_id)
        rows = list(s.scalars(q.limit(PAGE + 1)))
        places = {p.id: p.label for p in _buildings(s, current_staff())}
    return render_template("console/requests.html", rows=rows[:PAGE], more=len(rows) > PAGE,
                           f=f, states=STATE_LABELS, categories=CATEGORIES, buildings=places, now=t)


@bp.get("/requests/<ticket>")
@requires("complaint.todo")
def request_detail(ticket: str) -> Any:
    with db() as s:
        c = _visible(s, current_staff(), by_ticket(s, ticket))
        events = list(s.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id)
                                .order_by(ComplaintEvent.at, ComplaintEvent.id)))
        staff = {st.id: st for st in s.scalars(select(Staff).order_by(Staff.id))}
        assignees = list(s.scalars(select(Staff).where(
            Staff.active.is_(True), staff_of_community(s, c.community_id)).order_by(Staff.id)))
        place = s.get(Place, c.building_id)
        merged_into = s.get(Complaint, c.merged_into_id) if c.merged_into_id else None
    return render_template("console/request.html", c=c, events=events, people=staff, assignees=assignees,
                           place=place.label if place else "", merged_into=merged_into,
                           states=STATE_LABELS, now=now(), actions=ACTIONS,
                           can_act=c.state in OPEN_STATES)


@bp.post("/requests/<ticket>/<action>")
@requires("complaint.todo")
def request_act(ticket: str, action: str) -> Any:
    from console.auth import allowed
    if action not in ACTIONS:
        abort(404)
    if not allowed(ACTIONS[action][0]):
        abort(403)
    staff = current_staff()
    assert staff is not None
    pushed: list[int] = []
    with db() as s:
        c = _visible(s, staff, s.scalars(select(Complaint).where(Complaint.ticket == ticket.upper())
                                         .with_for_update()).first())
        message, ok = _act(s, c, action, staff, now(), pushed)
    send_soon(pushed)
    flash(message, "ok" if ok else "error")
    return redirect(url_for("console.request_detail", ticket=ticket))


def _act(s: Session, c: Complaint, action: str, staff: Staff, t: datetime,
         pushed: list[int]) -> tuple[str, bool]:
    def push(openid: str, text: str, key: str, kind: str = "ticket") -> None:
        row = deliver.enqueue(s, openid, text, notice_key=key, kind=kind, now=t)
        if row is not None:
            pushed.append(row.id)

    actor = Actor("staff", str(staff.id))
    note = (request.form.get("note") or "").strip()[:500]
    label = ACTIONS[action][1]
    try:
        if action == "accept":
            transition(s, c, ACCEPTED, actor, None, t, push)
            c.assignee_id = c.assignee_id or staff.id
        elif action == "progress":
            transition(s, c, IN_PROGRESS, actor, note or None, t, push)
        elif action == "resolve":
            if not note:
                return TEXTS["need_note"], False
            transition(s, c, RESOLVED, actor, note, t, push)
        elif action == "reject":
            if not note:
                return TEXTS["need_reason"], False
            transition(s, c, REJECTED, actor, note, t, push)
        elif action == "assign":
            return _assign(s, c, actor, t, push)
        elif action == "merge":
            target = (request.form.get("target") or "").strip().upper()
            parent = by_ticket(s, target) if target else None
            if parent is not None and not handles(s, staff, parent.household_id, parent.assignee_id):
                parent = None   # another community's (or place's) request: as if absent
            if parent is None:
                return (TEXTS["not_found"].format(ticket=target) if target else TEXTS["need_target"]), False
            merge(s, c, parent, actor, t, push)
            return f"已把 {c.ticket} 合并到 {parent.ticket}，已通知居民。", True
    except TransitionError as exc:
        return f"{c.ticket}：{exc}", False
    return TEXTS["done"].format(ticket=c.ticket, label=label), True


def _assign(s: Session, c: Complaint, actor: Actor, t: datetime, push: Any) -> tuple[str, bool]:
    raw = request.form.get("assignee") or ""
    st = s.get(Staff, int(raw)) if raw.isdigit() else None
    if st is None or not st.active or s.scalar(select(Staff.id).where(
            Staff.id == st.id, staff_of_community(s, c.community_id))) is None:
        return TEXTS["need_assignee"], False
    if c.state not in OPEN_STATES:
        return TEXTS["cannot_assign"].format(state=c.state_label), False
    if c.state == SUBMITTED:          # accepted on the way; the resident hears once
        transition(s, c, ACCEPTED, actor, None, t)
    c.assignee_id = st.id
    if c.state == ACCEPTED:
        transition(s, c, IN_PROGRESS, actor, f"转给{st.name}", t, push)
    if st.openid:
        place = s.get(Place, c.building_id)
        text = c.text if len(c.text) <= 60 else c.text[:60] + "…"
        push(st.openid, TEXTS["assigned_to_you"].format(
            ticket=c.ticket, category=c.category_label, place=place.label if place else "",
            text=text), f"ticket:{c.id}:assign:{st.id}:{t:%Y%m%d%H%M%S}", "ticket_staff")
    return f"已把 {c.ticket} 转给 {st.name}，已通知居民和{st.name}。", True
