"""The rules of a request: the state graph as data, filing, duplicates, time limits.

`transition` is the only way a request changes state: it refuses moves off the graph with
a Chinese message, records a timeline event, and hands the resident's notice to `push`
(handlers pass ctx.push, jobs pass notices.deliver.enqueue) so models stay below notices.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.community import Household, Place
from models.people import Staff
from models.complaints import (
    ACCEPTED,
    CATEGORIES,
    CLOSED,
    IN_PROGRESS,
    MERGED,
    OPEN_STATES,
    REJECTED,
    RESOLVED,
    STATE_LABELS,
    SUBMITTED,
    Complaint,
    ComplaintEvent,
    HotCluster,
    audience,
    next_ticket,
)

# Time limits and thresholds (the lead moves these to config.yaml: complaints.*).
ACCEPT_HOURS = 24          # not accepted within → remind the assignee / staff once
RESOLVE_DAYS = 7           # not resolved within → escalate once to 居委会
RATING_ASK_HOURS = 24      # resolved and unrated → ask the resident once
AUTO_CLOSE_DAYS = 7        # resolved and unrated → closed
DUPLICATE_DAYS = 30        # an open request this recent may be the same problem
ATTACH_MINUTES = 10        # photos / location this soon after filing attach to it
CLUSTER_HOUSEHOLDS = 5     # 一事一议一决: this many households …
CLUSTER_DAYS = 7           # … within this many days, same category and building


def configure(limits: object) -> None:
    """Take the time limits from the `complaints` settings section (config.yaml)."""
    global ACCEPT_HOURS, RESOLVE_DAYS, RATING_ASK_HOURS, AUTO_CLOSE_DAYS, DUPLICATE_DAYS
    global ATTACH_MINUTES, CLUSTER_HOUSEHOLDS, CLUSTER_DAYS
    ACCEPT_HOURS = limits.accept_hours  # type: ignore[attr-defined]
    RESOLVE_DAYS = limits.resolve_days  # type: ignore[attr-defined]
    RATING_ASK_HOURS = limits.rating_ask_hours  # type: ignore[attr-defined]
    AUTO_CLOSE_DAYS = limits.auto_close_days  # type: ignore[attr-defined]
    DUPLICATE_DAYS = limits.duplicate_days  # type: ignore[attr-defined]
    ATTACH_MINUTES = limits.attach_minutes  # type: ignore[attr-defined]
    CLUSTER_HOUSEHOLDS = limits.cluster_households  # type: ignore[attr-defined]
    CLUSTER_DAYS = limits.cluster_days  # type: ignore[attr-defined]

# The state graph: from-state → the states it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({ACCEPTED, REJECTED, MERGED}),
    ACCEPTED: frozenset({IN_PROGRESS, RESOLVED, REJECTED, MERGED}),
    IN_PROGRESS: frozenset({RESOLVED, REJECTED, MERGED}),
    RESOLVED: frozenset({CLOSED, IN_PROGRESS}),      # rated / auto-closed, or reopened
    CLOSED: frozenset(),
    REJECTED: frozenset(),
    MERGED: frozenset(),
}
# How a state reads in a refusal ("该诉求已办结，不能再受理").
STATE_WHERE = {SUBMITTED: "还未受理", ACCEPTED: "已受理", IN_PROGRESS: "正在处理中",
          RESOLVED: "已办结", CLOSED: "已评价归档", REJECTED: "已驳回", MERGED: "已合并"}
_VERB = {SUBMITTED: "重新提交", ACCEPTED: "受理", IN_PROGRESS: "转为处理中", RESOLVED: "办结",
         CLOSED: "评价归档", REJECTED: "驳回", MERGED: "合并"}

# What the resident (and followers) are told on each state change.
PUSH_TEXTS = {
    ACCEPTED: "您反映的问题（{ticket}）已受理，我们会尽快处理。查看进展：回复“查询 {ticket}”",
    IN_PROGRESS: "您反映的问题（{ticket}）正在处理中{note}。查看进展：回复“查询 {ticket}”",
    RESOLVED: "您反映的问题（{ticket}）已办结{note}。\n请为办理结果打分：回复“评价 {ticket} 5”"
              "（1-5分，5分最满意）\n如果还没解决，请回复“没修好”",
    CLOSED: "您反映的问题（{ticket}）已归档{note}。谢谢您的参与，有新情况请再反映。",
    REJECTED: "您反映的问题（{ticket}）不予受理{note}。如有疑问，可以再次反映或回复“帮助”。",
    MERGED: "您反映的问题（{ticket}）与 {other} 是同一问题，已合并办理，进展会继续通知您。",
}

# What the scheduled jobs (notices/complaint_jobs.py) send to staff and residents.
JOB_TEXTS = {
    "staff_remind": "【待受理提醒】{ticket} {category}（{place}）提交已超过 {hours} 小时还没受理：\n“{text}”\n"
                    "回复“受理 {ticket}”受理。",
    "staff_escalate": "【诉求超期】{ticket} {category}（{place}）提交已超过 {days} 天还没办结，"
                      "现在是“{state}”{assignee}：\n“{text}”",
    "ask_rating": "您反映的问题（{ticket}）办结一天了，效果怎么样？\n请回复“评价 {ticket} 5”打分（1-5分，5分最满意）；"
                  "没解决请回复“没修好”。",
    "cluster_found": "【热点问题】{place} 近 {days} 天有 {n} 户反映“{category}”问题（{tickets}）。\n"
                     "可以召开恳谈会一起商量（一事一议一决）：在电脑端执行 flask complaints cluster-meeting {cluster} "
                     "--at \"时间\" --place \"地点\"。",
}

Push = Callable[[str, str, str], None]    # (openid, text, notice_key)


class TransitionError(ValueError):
    """A move off the state graph; str(error) is the Chinese message for the person."""


@dataclass(frozen=True)
class Actor:
    kind: str            # resident / staff / system
    id: str = ""


SYSTEM = Actor("system", "")


def refusal(from_state: str, to_state: str) -> str | None:
    """None when the move is allowed, else why not, in plain Chinese."""
    if to_state in TRANSITIONS.get(from_state, frozenset()):
        return None
    if from_state == to_state:
        return f"该诉求已经是“{STATE_LABELS[from_state]}”状态了。"
    again = "" if from_state in (SUBMITTED,) else "再"
    return f"该诉求{STATE_WHERE[from_state]}，不能{again}{_VERB.get(to_state, to_state)}。"


def transition(session: Session, complaint: Complaint, to_state: str, actor: Actor,
               note: str | None, now: datetime, push: Push | None = None,
               other: str = "") -> ComplaintEvent:
    """Move a request along the graph, record the event, tell the resident and followers."""
    why = refusal(complaint.state, to_state)
    if why:
        raise TransitionError(why)
    event = ComplaintEvent(complaint_id=complaint.id, at=now, actor_kind=actor.kind,
                           actor_id=actor.id, from_state=complaint.state, to_state=to_state,
                           note=note)
    from_state = complaint.state
    complaint.state = to_state
    if to_state == ACCEPTED:
        complaint.accepted_at = complaint.accepted_at or now
    elif to_state == RESOLVED:
        complaint.resolved_at, complaint.asked_rating_at = now, None
        complaint.resolution = note
    elif to_state == IN_PROGRESS and from_state == RESOLVED:
        complaint.resolved_at, complaint.reopened = None, complaint.reopened + 1
        complaint.escalated_at = None
        complaint.resolve_due_at = now + timedelta(days=RESOLVE_DAYS)
    elif to_state == CLOSED:
        complaint.closed_at = now
    elif to_state == REJECTED:
        complaint.reject_reason, complaint.closed_at = note, now
    elif to_state == MERGED:
        complaint.closed_at = now
    session.add(event)
    session.flush()
    if push is not None:
        text = PUSH_TEXTS[to_state].format(ticket=complaint.ticket, other=other,
                                           note=f"：{note}" if note else "")
        for openid in audience(session, complaint):
            push(openid, text, f"ticket:{complaint.id}:{event.id}")
    return event


def file_complaint(session: Session, household: Household, openid: str, text: str,
                   category: str, now: datetime, tz: ZoneInfo,
                   photos: list[dict[str, str]] | None = None,
                   location: dict[str, object] | None = None) -> Complaint:
    """A new request with its ticket number, due dates and first timeline event."""
    c = Complaint(ticket=next_ticket(session, now.astimezone(tz)),
                  community_id=household.community_id, household_id=household.id,
                  point_id=household.point_id, building_id=household.building_id,
                  openid=openid, category=category if category in CATEGORIES else "other",
                  text=text.strip()[:1000], photos=list(photos or []), location=location,
                  state=SUBMITTED, created_at=now,
                  accept_due_at=now + timedelta(hours=ACCEPT_HOURS),
                  resolve_due_at=now + timedelta(days=RESOLVE_DAYS))
    session.add(c)
    session.flush()
    session.add(ComplaintEvent(complaint_id=c.id, at=now, actor_kind="resident", actor_id=openid,
                               from_state=None, to_state=SUBMITTED, note=None))
    return c


# What a message is made of when it names no problem: a filing verb (我要投诉, 有个事情要反映),
# a greeting (在吗), filler. Only used to judge a text, never to change what is stored.
_NO_SUBSTANCE = re.compile("|".join(sorted((
    "我要", "我想", "想要", "需要", "要", "想", "有个", "有件", "有一个", "有一件", "一个", "一件", "个", "件",
    "事情", "事儿", "事", "问题", "情况", "反映", "反应", "投诉", "举报", "报修", "建议", "意见", "诉求",
    "提个", "提", "说说", "说一下", "一下", "说", "找你们", "你们", "我们", "我", "帮忙", "麻烦", "请问", "请",
    "在吗", "在不在", "有人吗", "你好", "您好", "喂", "哈喽", "早上好", "上午好", "中午好", "下午好", "晚上好",
    "说不清楚", "说不清", "说不好", "不知道", "不清楚", "忘了", "那个", "这个", "就是", "也",
    "谢谢", "好的", "嗯", "哦", "啊", "呀", "吧", "呢", "了", "的", "吗",
), key=len, reverse=True)))
_CJK = re.compile(r"[\u4e00-\u9fff]")
SUPPLEMENT_PREFIX = "居民补充："     # how a follow-up reads on the timeline


def lacks_substance(text: str) -> bool:
    """True when a text says no problem at all: fewer than two Chinese characters once
    filing verbs, greetings and filler are set aside (so "7", "？", "👍", "在吗",
    "有个事情要反映" and "我要提个建议" are not a request's text)."""
    return len(_CJK.findall(_NO_SUBSTANCE.sub("", text or ""))) < 2


def add_note(session: Session, complaint: Complaint, actor: Actor, note: str,
             now: datetime) -> ComplaintEvent:
    """A step on the timeline that changes no state (a follow-up, a reassignment)."""
    event = ComplaintEvent(complaint_id=complaint.id, at=now, actor_kind=actor.kind,
                           actor_id=actor.id, from_state=complaint.state, to_state=complaint.state,
                           note=note)
    session.add(event)
    session.flush()
    return event


def add_supplement(session: Session, complaint: Complaint, actor: Actor, text: str,
                   now: datetime) -> ComplaintEvent:
    """The resident's follow-up words, kept on the timeline (the state does not change)."""
    return add_note(session, complaint, actor, SUPPLEMENT_PREFIX + text.strip()[:500], now)


def household_label(session: Session, complaint: Complaint) -> str:
    """Where a request is, down to unit and room (黄巷新村5号楼1单元101室), so staff find the flat."""
    h = session.get(Household, complaint.household_id)
    if h is not None and h.label:
        return h.label
    p = session.get(Place, complaint.building_id)
    return p.label if p else ""


def find_duplicate(session: Session, household: Household, category: str,
                   now: datetime, others_only: bool = False) -> Complaint | None:
    """An open request of the same category in the same building, filed recently; never for
    the category 其他, which says nothing about the problem being the same. `others_only`:
    the resident said this is another problem, so none of their household's own."""
    if category not in CATEGORIES or category == "other":
        return None
    q = select(Complaint).where(
        Complaint.building_id == household.building_id, Complaint.category == category,
        Complaint.state.in_(OPEN_STATES),
        Complaint.created_at >= now - timedelta(days=DUPLICATE_DAYS))
    if others_only:
        q = q.where(Complaint.household_id != household.id)
    return session.scalars(q.order_by(Complaint.id.desc())).first()


def responsible_staff(session: Session, complaint: Complaint) -> list[Staff]:
    """Who should act on a request: its assignee, else every active staff member on WeChat
    whose scope holds the household (so only staff of the request's community)."""
    from models.authz import staff_covering
    if complaint.assignee_id is not None:
        st = session.get(Staff, complaint.assignee_id)
        if st is not None and st.active and st.openid:
            return [st]
    return staff_covering(session, complaint.household_id, exclude=("管理员",))


def committee_heads(session: Session, complaint: Complaint | None = None) -> list[Staff]:
    """Who an overdue request is escalated to: the 居委会 staff on WeChat of its community."""
    if complaint is not None:
        from models.authz import staff_covering
        return staff_covering(session, complaint.household_id, roles=("居委会",))
    return list(session.scalars(select(Staff).where(
        Staff.active.is_(True), Staff.openid.is_not(None), Staff.role == "居委会")
        .order_by(Staff.id)))


def cluster_meeting(session: Session, cluster_id: int, *, starts_at: datetime, place: str,
                    now: datetime, title: str | None = None, meeting_type: str = "恳谈会",
                    created_by: str = "") -> object:
    """Turn a hot cluster into an invitation meeting for its reporting households."""
    from models.community import Place, Scope
    from models.meetings import create_invitation_meeting

    cluster = session.get(HotCluster, cluster_id, with_for_update=True)
    if cluster is None:
        raise ValueError(f"没有编号为 {cluster_id} 的热点问题")
    if cluster.meeting_id is not None:
        raise ValueError(f"热点问题 {cluster_id} 已经转为会议 {cluster.meeting_id}")
    members = list(session.scalars(select(Complaint).where(Complaint.cluster_id == cluster.id)
                                   .order_by(Complaint.id)))
    where = session.get(Place, cluster.place_id)
    label = where.label if where else ""
    category = CATEGORIES.get(cluster.category, "其他")
    meeting = create_invitation_meeting(
        session, title=title or f"{label}{category}问题{meeting_type}", meeting_type=meeting_type,
        starts_at=starts_at, place=place, household_ids=[c.household_id for c in members],
        now=now, agenda="一事一议一决：" + "；".join(f"{c.ticket} {c.text[:30]}" for c in members[:10]),
        scope=Scope(cluster.level, cluster.place_id, label), created_by=created_by)
    cluster.meeting_id = meeting.id
    return meeting
