"""Scheduled jobs of requests (民情诉求): time limits, the rating ask, auto-close, hot issues.

Each job is a function of (database state, now): a column stamped in the same transaction
as the push (accept_reminded_at, escalated_at, asked_rating_at, notified_at) and the
delivery's unique notice key make a second run at the same clock do nothing new."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import complaint_rules as rules
from models.community import Place
from models.complaint_rules import (
    JOB_TEXTS,
    SYSTEM,
    committee_heads,
    household_label,
    responsible_staff,
    transition,
)
from models.complaints import (
    CLOSED,
    MERGED,
    OPEN_STATES,
    REJECTED,
    RESOLVED,
    SUBMITTED,
    Complaint,
    HotCluster,
)
from models.db import transaction
from models.people import Staff
from notices import deliver
from notices.jobs import JobEnv, job

BATCH = 200


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _place(s: Session, place_id: int) -> str:
    p = s.get(Place, place_id)
    return p.label if p else ""


def _push(s: Session, now: datetime, kind: str = "ticket"):  # type: ignore[no-untyped-def]
    def push(openid: str, text: str, key: str) -> None:
        deliver.enqueue(s, openid, text, notice_key=key, kind=kind, now=now)
    return push


@job("complaints.sla", order=30)
def sla(env: JobEnv, now: datetime) -> int:
    """Not accepted in ACCEPT_HOURS → remind once; not resolved in RESOLVE_DAYS → escalate once
    (each to the staff of the request's own community)."""
    done = 0
    with transaction(env.factory) as s:
        late = s.scalars(select(Complaint).where(
            Complaint.state == SUBMITTED, Complaint.accept_due_at <= now,
            Complaint.accept_reminded_at.is_(None)).order_by(Complaint.id).limit(BATCH)
            .with_for_update(skip_locked=True)).all()
        for c in late:
            text = JOB_TEXTS["staff_remind"].format(
                ticket=c.ticket, category=c.category_label, place=household_label(s, c),
                hours=rules.ACCEPT_HOURS, text=_short(c.text))
            for st in responsible_staff(s, c):
                deliver.enqueue(s, st.openid or "", text, notice_key=f"ticket:{c.id}:remind",
                                kind="ticket_staff", now=now)
            c.accept_reminded_at = now
            done += 1
        overdue = s.scalars(select(Complaint).where(
            Complaint.state.in_(OPEN_STATES), Complaint.resolve_due_at <= now,
            Complaint.escalated_at.is_(None)).order_by(Complaint.id).limit(BATCH)
            .with_for_update(skip_locked=True)).all()
        for c in overdue:
            assignee = s.get(Staff, c.assignee_id) if c.assignee_id else None
            text = JOB_TEXTS["staff_escalate"].format(
                ticket=c.ticket, category=c.category_label, place=household_label(s, c),
                days=rules.RESOLVE_DAYS, state=c.state_label,
                assignee=f"，经办：{assignee.name}" if assignee else "，还没有经办人",
                text=_short(c.text))
            for st in committee_heads(s, c) or responsible_staff(s, c):
                deliver.enqueue(s, st.openid or "", text,
                                notice_key=f"ticket:{c.id}:escalate:{c.reopened}",
                                kind="ticket_staff", now=now)
            c.escalated_at = now
            done += 1
    return done


@job("complaints.ask_rating", order=32)
def ask_rating(env: JobEnv, now: datetime) -> int:
    """A request resolved RATING_ASK_HOURS ago and still unrated: ask its resident once."""
    done = 0
    with transaction(env.factory) as s:
        rows = s.scalars(select(Complaint).where(
            Complaint.state == RESOLVED, Complaint.asked_rating_at.is_(None),
            Complaint.resolved_at <= now - timedelta(hours=rules.RATING_ASK_HOURS),
            Complaint.resolved_at > now - timedelta(days=rules.AUTO_CLOSE_DAYS))
            .order_by(Complaint.id).limit(BATCH).with_for_update(skip_locked=True)).all()
        for c in rows:
            deliver.enqueue(s, c.openid, JOB_TEXTS["ask_rating"].format(ticket=c.ticket),
                            notice_key=f"ticket:{c.id}:ask-rating:{c.reopened}", kind="ticket",
                            now=now)
            c.asked_rating_at = now
            done += 1
    return done


@job("complaints.auto_close", order=34)
def auto_close(env: JobEnv, now: datetime) -> int:
    """Resolved AUTO_CLOSE_DAYS ago and never rated: closed, and the resident told."""
    done = 0
    with transaction(env.factory) as s:
        rows = s.scalars(select(Complaint).where(
            Complaint.state == RESOLVED, Complaint.rating.is_(None),
            Complaint.resolved_at <= now - timedelta(days=rules.AUTO_CLOSE_DAYS))
            .order_by(Complaint.id).limit(BATCH).with_for_update(skip_locked=True)).all()
        for c in rows:
            transition(s, c, CLOSED, SYSTEM, f"{rules.AUTO_CLOSE_DAYS}天未评价，自动归档", now, _push(s, now))
            done += 1
    return done


@job("complaints.clusters", order=36)
def clusters(env: JobEnv, now: datetime) -> int:
    """一事一议一决: ≥ CLUSTER_HOUSEHOLDS households, one category, in CLUSTER_DAYS, in one
    building — or, among requests no building cluster took, across one residential point —
    become one HotCluster linking the requests; staff are told once per cluster."""
    since = now - timedelta(days=rules.CLUSTER_DAYS)
    found = 0
    with transaction(env.factory) as s:
        for level, column in (("building", Complaint.building_id), ("point", Complaint.point_id)):
            q = (select(column, Complaint.category, func.count(func.distinct(Complaint.household_id)))
                 .where(Complaint.created_at >= since, Complaint.state.not_in((REJECTED, MERGED))))
            if level == "point":
                q = q.where(Complaint.cluster_id.is_(None))
            groups = s.execute(q.group_by(column, Complaint.category).having(
                func.count(func.distinct(Complaint.household_id)) >= rules.CLUSTER_HOUSEHOLDS)).all()
            for place_id, category, _n in groups:
                found += _cluster(s, level, place_id, category, since, now)
    return found


def _cluster(s: Session, level: str, place_id: int, category: str, since: datetime, now: datetime) -> int:
    column = Complaint.building_id if level == "building" else Complaint.point_id
    q = select(Complaint).where(column == place_id, Complaint.category == category,
                                Complaint.created_at >= since, Complaint.state.not_in((REJECTED, MERGED)))
    if level == "point":
        q = q.where(Complaint.cluster_id.is_(None) | Complaint.cluster_id.in_(
            select(HotCluster.id).where(HotCluster.level == "point")))
    members = list(s.scalars(q.order_by(Complaint.id)))
    # An open cluster of this kind (no meeting yet, recent) takes the new requests.
    cluster = s.scalars(select(HotCluster).where(
        HotCluster.level == level, HotCluster.place_id == place_id, HotCluster.category == category,
        HotCluster.meeting_id.is_(None), HotCluster.created_at >= since)
        .order_by(HotCluster.id.desc()).with_for_update()).first()
    new = cluster is None
    if cluster is None:
        cluster = HotCluster(community_id=members[0].community_id, category=category, level=level,
                             place_id=place_id, created_at=now)
        s.add(cluster)
        s.flush()
    for c in members:
        if c.cluster_id is None:
            c.cluster_id = cluster.id
    linked = [c for c in members if c.cluster_id == cluster.id]
    cluster.households = len({c.household_id for c in linked})
    if cluster.notified_at is None:
        text = JOB_TEXTS["cluster_found"].format(
            place=_place(s, place_id), days=rules.CLUSTER_DAYS, n=cluster.households,
            category=linked[0].category_label, cluster=cluster.id,
            tickets="、".join(c.ticket for c in linked[:6]) + ("等" if len(linked) > 6 else ""))
        for st in committee_heads(s, linked[0]) or responsible_staff(s, linked[0]):
            deliver.enqueue(s, st.openid or "", text, notice_key=f"cluster:{cluster.id}",
                            kind="ticket_staff", now=now)
        cluster.notified_at = now
    return 1 if new else 0
