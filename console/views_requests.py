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
from models.complaint_handover import Assigned, MergeNeedsConfirmation, assign, merge
from models.complaint_handover import merge_check as merge_check_rules
from models.complaint_rules import SUPPLEMENT_PREFIX, Actor, TransitionError, transition
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
    "need_note": "请写上办理说明（会发给居民）。",
    "need_reason": "请写上驳回原因（会发给居民）。",
    "need_assignee": "请选择转给谁。",
    "need_target": "请写上要合并到的诉求编号。",
    "not_found": "找不到编号为 {ticket} 的诉求。",
    "done": "{ticket}：已{label}，已通知居民。",
    "assigned": "已把 {ticket} 转给 {name}。",
    # Who was told, worded as the chat says it (handlers/complaint_texts assigned_told_*).
    "told_both": "已通知居民和{name}。",
    "told_staff": "已通知{name}（诉求原来就在处理中，没有再通知居民）。",
    "told_resident": "已通知居民；{name} 没有绑定微信，收不到消息，请另行告诉{name}。",
    "told_none": "诉求原来就在处理中，没有再通知居民；{name} 没有绑定微信，请另行告诉{name}。",
    "told_previous": "也告诉了{name}不用再处理。",
    "untold_previous": "{name} 没有绑定微信，请另行告诉{name}不用再处理。",
    "merge_check": "请先核对再合并。",
    "merged": "已把 {child} 合并到 {parent}，已通知居民。",
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
        check = _merge_check(s, c, (request.args.get("merge") or "").strip().upper())
    return render_template("console/request.html", c=c, events=events, people=staff, assignees=assignees,
                           place=place.label if place else "", merged_into=merged_into,
                           states=STATE_LABELS, now=now(), actions=ACTIONS, supplement_prefix=SUPPLEMENT_PREFIX,
                           can_act=c.state in OPEN_STATES, merge_check=check)


def _merge_check(s: Session, c: Complaint, target: str) -> dict[str, Any] | None:
    """The two requests side by side, when a merge of them waits for an explicit confirm."""
    parent = by_ticket(s, target) if target else None
    if parent is None or not handles(s, current_staff(), parent.household_id, parent.assignee_id):
        return None
    try:
        merge_check_rules(s, c, parent)
    except MergeNeedsConfirmation as exc:
        return {"warning": str(exc), "lines": exc.lines, "target": parent.ticket}
    except TransitionError:
        return None
    return None


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
    if isinstance(ok, str):      # a merge to confirm: show both requests side by side
        return redirect(url_for("console.request_detail", ticket=ticket, merge=ok) + "#merge-confirm")
    return redirect(url_for("console.request_detail", ticket=ticket))


def _act(s: Session, c: Complaint, action: str, staff: Staff, t: datetime,
         pushed: list[int]) -> tuple[str, bool | str]:
    """(flash message, True done / False refused / the ticket of a merge waiting for a confirm)."""
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
            try:
                merge(s, c, parent, actor, t, push, confirmed=request.form.get("confirm") == "1",
                      staff_push=lambda o, x, k: push(o, x, k, "ticket_staff"))
            except MergeNeedsConfirmation as exc:
                return f"{exc} {TEXTS['merge_check']}", parent.ticket
            return TEXTS["merged"].format(child=c.ticket, parent=parent.ticket), True
    except TransitionError as exc:
        return f"{c.ticket}：{exc}", False
    return TEXTS["done"].format(ticket=c.ticket, label=label), True


def _assign(s: Session, c: Complaint, actor: Actor, t: datetime, push: Any) -> tuple[str, bool]:
    raw = request.form.get("assignee") or ""
    st = s.get(Staff, int(raw)) if raw.isdigit() else None
    if st is None or not st.active or s.scalar(select(Staff.id).where(
            Staff.id == st.id, staff_of_community(s, c.community_id))) is None:
        return TEXTS["need_assignee"], False
    done = assign(s, c, st, actor, t, push, lambda o, x, k: push(o, x, k, "ticket_staff"))
    return TEXTS["assigned"].format(ticket=c.ticket, name=st.name) + _told(done, st.name), True


def _told(done: Assigned, name: str) -> str:
    """Who was actually told, as the chat says it (handlers/complaints_staff.told_text)."""
    told = {(True, True): "both", (False, True): "staff", (True, False): "resident",
            (False, False): "none"}[(done.resident_told, done.assignee_told)]
    text = TEXTS["told_" + told].format(name=name)
    if done.previous is not None:
        text += TEXTS["told_previous" if done.previous_told else "untold_previous"].format(
            name=done.previous.name)
    return text
