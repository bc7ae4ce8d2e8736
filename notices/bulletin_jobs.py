"""Publishing bulletins: create one, publish what is due (a recurring one spawns an
instance per run), fan each out to the residents in scope who did not opt out of its topic.

The bulletin table is the persistent store of what the scheduler must do: a tick finds
rows with state scheduled and next_run_at <= now; the conditional UPDATE on that row
makes a second tick at the same clock do nothing.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from models.bulletins import PUBLISHED, SCHEDULED, TOPICS, Bulletin, cron_problem, next_run, opted_out
from models.community import Scope
from models.db import transaction
from notices import deliver, fanout
from notices.jobs import JobEnv, job

KIND = "bulletin"   # the kind of notice: wechat.templates["bulletin"] is its template id


class BulletinError(ValueError):
    """A bulletin that cannot be made as asked: "field: why", the why in Chinese for staff."""


def create(session: Session, *, title: str, body: str, topic: str, scope: Scope, now: datetime,
           publish_at: datetime | None = None, cron: str | None = None, urgent: bool = False,
           mass: bool = False, created_by: str = "", tz: Any = deliver.DEFAULT_TZ) -> Bulletin:
    title, body = title.strip(), body.strip()
    if topic not in TOPICS:
        raise BulletinError(f"topic: “{topic}”不是通知类别，请从 {' / '.join(TOPICS)} 中选一个")
    if not title:
        raise BulletinError("title: 请填写标题（120 字以内）")
    if len(title) > 120:
        raise BulletinError(f"title: 标题太长了（{len(title)} 字），请控制在 120 字以内")
    if not body:
        raise BulletinError("body: 请填写正文")
    problem = cron_problem(cron) if cron else None
    if problem:
        raise BulletinError(f"cron: {problem}")
    start = publish_at or now
    first = next_run(cron, start - timedelta(seconds=1), tz) if cron else start
    b = Bulletin(title=title, body=body, topic=topic, scope_key=scope.key,
                 scope_label=scope.label or scope.key, urgent=urgent, mass=mass, cron=cron or None,
                 state=SCHEDULED, publish_at=start, next_run_at=first, created_by=created_by,
                 created_at=now)
    session.add(b)
    session.flush()
    return b


def notice_text(b: Bulletin) -> str:
    return f"【{b.topic}】{b.title}\n{b.body}\n（回复“退订 {b.topic}”可不再接收这类通知）"


def template_data(b: Bulletin, tz: Any) -> dict[str, Any]:
    t = (b.published_at or b.publish_at).astimezone(tz)
    return {"first": {"value": f"【{b.topic}】{b.title}"},
            "keyword1": {"value": b.title}, "keyword2": {"value": f"{t:%Y-%m-%d %H:%M}"},
            "keyword3": {"value": b.scope_label},
            "remark": {"value": b.body[:180]}}


def publish_in(session: Session, bulletin_id: int, now: datetime,
               tz: Any = deliver.DEFAULT_TZ) -> tuple[Bulletin, list[int]] | None:
    """Publish a due bulletin in this transaction: (the published instance, its delivery ids),
    or None when it is not due or another run took it already."""
    b = session.get(Bulletin, bulletin_id)
    if b is None or b.state != SCHEDULED or b.next_run_at is None or b.next_run_at > now:
        return None
    run_at = b.next_run_at
    if b.cron:
        nxt = next_run(b.cron, now, tz)
        took = session.execute(update(Bulletin).where(
            Bulletin.id == b.id, Bulletin.state == SCHEDULED, Bulletin.next_run_at == run_at)
            .values(next_run_at=nxt, last_published_at=now)).rowcount
        if not took:
            return None
        inst = Bulletin(title=b.title, body=b.body, topic=b.topic, scope_key=b.scope_key,
                        scope_label=b.scope_label, urgent=b.urgent, mass=b.mass, state=PUBLISHED,
                        publish_at=run_at, published_at=now, last_published_at=now,
                        parent_id=b.id, run_at=run_at, created_by=b.created_by, created_at=now)
        session.add(inst)
        session.flush()
    else:
        took = session.execute(update(Bulletin).where(
            Bulletin.id == b.id, Bulletin.state == SCHEDULED, Bulletin.next_run_at == run_at)
            .values(state=PUBLISHED, published_at=now, last_published_at=now,
                    next_run_at=None)).rowcount
        if not took:
            return None
        session.refresh(b)
        inst = b
    scope = Scope.from_key(inst.scope_key, inst.scope_label)
    skip = opted_out(session, inst.topic)
    openids = [o for o in fanout.residents_in(session, scope) if o not in skip]
    ids = deliver.enqueue_many(session, openids, notice_text(inst), notice_key=inst.notice_key,
                               kind=KIND, urgent=inst.urgent, now=now, tz=tz,
                               template_data=template_data(inst, tz))
    inst.recipients = len(ids)
    return inst, ids


def send_instance(sender: deliver.Sender, inst: Bulletin, ids: list[int], now: datetime,
                  progress: deliver.Progress | None = None) -> Counter[str]:
    """Send a published instance's deliveries (a mass message first, if staff chose one)."""
    counts: Counter[str] = Counter()
    if inst.mass:
        counts["mass"] = fanout.mass_send(sender, inst.notice_key, notice_text(inst), now)
    counts.update(sender.send_many(ids, now, progress))
    counts.pop("skipped", None)
    return counts


def publish(env: JobEnv, bulletin_id: int, now: datetime,
            progress: deliver.Progress | None = None) -> tuple[Bulletin, Counter[str]] | None:
    """Publish one due bulletin (commit first, then send)."""
    tz = env.settings.community.tz
    with transaction(env.factory) as s:
        done = publish_in(s, bulletin_id, now, tz)
    if done is None:
        return None
    inst, ids = done
    return inst, send_instance(env.sender, inst, ids, now, progress)


def due_ids(factory: sessionmaker[Session], now: datetime) -> list[int]:
    with factory() as s:
        return list(s.scalars(select(Bulletin.id).where(
            Bulletin.state == SCHEDULED, Bulletin.next_run_at <= now).order_by(Bulletin.id)))


@job("bulletins.publish_due", order=70)
def publish_due(env: JobEnv, now: datetime) -> int:
    """Publish the bulletins (and runs of recurring ones) that are due, and send them."""
    published = 0
    for bulletin_id in due_ids(env.factory, now):
        if publish(env, bulletin_id, now) is not None:
            published += 1
    return published
