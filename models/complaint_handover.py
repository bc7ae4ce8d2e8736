"""Requests (民情诉求) handed between staff: merging a duplicate into another request and
reassigning one. Chat (handlers.complaints_staff) and the console both go through here, so
what staff and residents are told is the same wherever it was done."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.complaint_rules import (STATE_WHERE, Actor, Push, TransitionError, add_note, household_label, refusal,
                                    transition)
from models.complaints import (ACCEPTED, IN_PROGRESS, MERGED, OPEN_STATES, SUBMITTED, Complaint,
                               ComplaintEvent, ComplaintFollower, follow)
from models.people import Staff

# Reassigning: what the staff members concerned read.
ASSIGN_TEXTS = {
    "to_you": "【转办】{ticket} {category}（{place}）\n“{text}”\n办好后回复“办结 {ticket} 说明”。",
    "left_you": "【转办】{ticket} 已转给{name}经办，您不用再处理了。",
    "cannot": "该诉求{state}，不能再转办。",
    "same": "该诉求已经由{name}在办了。",
}

# Merging: what staff read when two requests may not be the same problem.
MERGE_TEXTS = {
    "summary": "{ticket} {category}｜{place}\n“{text}”",
    "other_community": "{child} 和 {parent} 不是同一个社区的诉求，不能合并。",
    "differs": "{child} 和 {parent} 的{what}不一样，可能不是同一个问题，请核对：",
    "assignee_told": "【已合并】您经办的 {child} 已合并到另一条诉求，不用再单独处理了：\n{parent}",
}


class MergeNeedsConfirmation(TransitionError):
    """The two requests differ in category or building: a person must look at both first.
    str(error) is the warning; `lines` describe each request (category, place, text)."""

    def __init__(self, message: str, lines: list[str]):
        super().__init__(message)
        self.lines = lines


def merge_summary(session: Session, c: Complaint) -> str:
    """One request as a person checking a merge needs it: number, category, place, text."""
    text = c.text if len(c.text) <= 40 else c.text[:40] + "…"
    return MERGE_TEXTS["summary"].format(ticket=c.ticket, category=c.category_label,
                                         place=household_label(session, c), text=text)


def merge_check(session: Session, child: Complaint, parent: Complaint) -> None:
    """Refuse a merge across communities; ask for a confirmation when category or building
    differ (rubbish at 5号楼 is not the handrail at 3号楼, whatever the numbers typed)."""
    if child.id == parent.id:
        raise TransitionError("不能把诉求合并到它自己。")
    if child.community_id != parent.community_id:
        raise TransitionError(MERGE_TEXTS["other_community"].format(child=child.ticket, parent=parent.ticket))
    why = refusal(child.state, MERGED)
    if why:
        raise TransitionError(why)
    if parent.state not in OPEN_STATES:
        raise TransitionError(f"{parent.ticket} {STATE_WHERE[parent.state]}，不能再合并进去。")
    differs = [word for word, same in (("类别", child.category == parent.category),
                                       ("楼栋", child.building_id == parent.building_id)) if not same]
    if differs:
        raise MergeNeedsConfirmation(
            MERGE_TEXTS["differs"].format(child=child.ticket, parent=parent.ticket, what="和".join(differs)),
            [merge_summary(session, child), merge_summary(session, parent)])


def merge(session: Session, child: Complaint, parent: Complaint, actor: Actor, now: datetime,
          push: Push | None = None, *, confirmed: bool = False,
          staff_push: Push | None = None) -> ComplaintEvent:
    """Merge a duplicate into another request; its residents follow the other one, and its
    assignee (unless they did it) is told the task moved. Unless `confirmed`, requests of
    another category or building raise MergeNeedsConfirmation."""
    try:
        merge_check(session, child, parent)
    except MergeNeedsConfirmation:
        if not confirmed:
            raise
    assignee = session.get(Staff, child.assignee_id) if child.assignee_id else None
    child.merged_into_id = parent.id
    event = transition(session, child, MERGED, actor, f"合并到 {parent.ticket}", now, push,
                       other=parent.ticket)
    follow(session, parent, child.openid, child.household_id, now)
    for f in session.scalars(select(ComplaintFollower).where(
            ComplaintFollower.complaint_id == child.id)):
        follow(session, parent, f.openid, f.household_id, now)
    tell = staff_push or push
    if (tell is not None and assignee is not None and assignee.openid
            and not (actor.kind == "staff" and actor.id == str(assignee.id))):
        tell(assignee.openid, MERGE_TEXTS["assignee_told"].format(
            child=child.ticket, parent=merge_summary(session, parent)),
            f"ticket:{child.id}:{event.id}:merged-staff")
    return event


@dataclass(frozen=True)
class Assigned:
    """Who heard of a reassignment, so the reply says only what happened."""
    resident_told: bool
    assignee_told: bool
    previous: Staff | None       # who had it before (None: nobody, or the same person)
    previous_told: bool


def assign(session: Session, c: Complaint, st: Staff, actor: Actor, now: datetime,
           push: Push | None = None, staff_push: Push | None = None) -> Assigned:
    """Give a request to a staff member. Always on the timeline (转给X), even when the state
    stays 处理中; the resident hears only of a state change (已受理 → 处理中); the new
    assignee gets the task, and the one who had it is told it left them."""
    if c.state not in OPEN_STATES:
        raise TransitionError(ASSIGN_TEXTS["cannot"].format(state=c.state_label))
    if c.assignee_id == st.id and c.state == IN_PROGRESS:
        raise TransitionError(ASSIGN_TEXTS["same"].format(name=st.name))
    previous = session.get(Staff, c.assignee_id) if c.assignee_id not in (None, st.id) else None
    if c.state == SUBMITTED:     # accepting on the way; the resident hears once
        transition(session, c, ACCEPTED, actor, None, now)
    c.assignee_id = st.id
    note = f"转给{st.name}"
    resident_told = c.state == ACCEPTED
    if resident_told:
        event = transition(session, c, IN_PROGRESS, actor, note, now, push)
    else:
        event = add_note(session, c, actor, note, now)
    tell = staff_push or push
    text = c.text if len(c.text) <= 60 else c.text[:60] + "…"
    assignee_told = bool(st.openid) and tell is not None
    if assignee_told:
        tell(st.openid or "", ASSIGN_TEXTS["to_you"].format(
            ticket=c.ticket, category=c.category_label, place=household_label(session, c), text=text),
            f"ticket:{c.id}:{event.id}:assign:{st.id}")
    previous_told = (previous is not None and bool(previous.openid) and tell is not None
                     and not (actor.kind == "staff" and actor.id == str(previous.id)))
    if previous_told:
        tell(previous.openid or "", ASSIGN_TEXTS["left_you"].format(ticket=c.ticket, name=st.name),
             f"ticket:{c.id}:{event.id}:unassign:{previous.id}")   # type: ignore[union-attr]
    return Assigned(resident_told, assignee_told, previous, previous_told)
