"""Bulletins (社区动态): one-off or recurring, each published run a notice of its own, and
the residents' opt-outs per topic."""
from __future__ import annotations

from datetime import datetime

from croniter import croniter
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow
from models.community import Household, scope_of_household

TOPICS = ("停水停电", "活动", "政策", "安全提醒", "公约公示", "社区动态")
SCHEDULED, PUBLISHED, CANCELLED = "scheduled", "published", "cancelled"


class Bulletin(Base):
    """A bulletin. A recurring one (cron) stays scheduled and spawns a published instance per
    run (parent_id, run_at unique), so each run has its own exactly-once deliveries."""

    __tablename__ = "bulletin"
    __table_args__ = (
        UniqueConstraint("parent_id", "run_at"),
        Index("ix_bulletin_due", "state", "next_run_at"),
        Index("ix_bulletin_published", "state", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(16))
    scope_key: Mapped[str] = mapped_column(String(40))
    scope_label: Mapped[str] = mapped_column(String(160))
    urgent: Mapped[bool] = mapped_column(default=False)
    mass: Mapped[bool] = mapped_column(default=False)
    cron: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12), default=SCHEDULED)
    publish_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_run_at: Mapped[datetime | None]          # when the scheduler publishes it next
    last_published_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("bulletin.id"), index=True)
    run_at: Mapped[datetime | None]               # an instance: the run it belongs to
    recipients: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def notice_key(self) -> str:
        return f"bulletin:{self.id}"


class Subscription(Base):
    """A resident's choice for one topic; no row means subscribed (the default)."""

    __tablename__ = "bulletin_subscription"
    __table_args__ = (UniqueConstraint("openid", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(16))
    subscribed: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


def next_run(cron: str, after: datetime, tz: object) -> datetime:
    """The first run of `cron` (read in the community's time zone) strictly after `after`."""
    local = after.astimezone(tz)  # type: ignore[arg-type]
    return croniter(cron, local).get_next(datetime).astimezone(after.tzinfo)


def valid_cron(cron: str) -> bool:
    return croniter.is_valid(cron)


CRON_EXAMPLE = "例如 0 9 * * 1 表示每周一 9 点"


def cron_problem(cron: str) -> str | None:
    """Why this repeat rule cannot be used (in Chinese, for staff), or None when it can.

    Five fields only (minute hour day month weekday). The minute field must name one minute:
    any list, range, step or * in it fires more than once an hour, which would flood
    residents with the same notice."""
    fields = cron.split()
    if len(fields) != 5 or not croniter.is_valid(cron):
        return f"“{cron}”看不懂。请按“分 时 日 月 星期”5 段写，{CRON_EXAMPLE}"
    if not fields[0].isdigit():
        return f"“{cron}”每小时不止发一次，太频繁了。最多每小时一次，{CRON_EXAMPLE}"
    return None


def opted_out(session: Session, topic: str) -> set[str]:
    return set(session.scalars(select(Subscription.openid).where(
        Subscription.topic == topic, Subscription.subscribed.is_(False))))


def topics_of(session: Session, openid: str) -> dict[str, bool]:
    """Every topic → whether this resident receives it."""
    rows = {s.topic: s.subscribed for s in session.scalars(
        select(Subscription).where(Subscription.openid == openid))}
    return {t: rows.get(t, True) for t in TOPICS}


def set_subscription(session: Session, openid: str, topics: list[str], on: bool,
                     now: datetime) -> None:
    for topic in topics:
        row = session.scalars(select(Subscription).where(
            Subscription.openid == openid, Subscription.topic == topic)).first()
        if row is None:
            session.add(Subscription(openid=openid, topic=topic, subscribed=on, updated_at=now))
        else:
            row.subscribed, row.updated_at = on, now
    session.flush()


def notice_keys(session: Session, topics: list[str]) -> list[str]:
    """The notice keys of every published bulletin of these topics."""
    return [f"bulletin:{i}" for i in session.scalars(select(Bulletin.id).where(
        Bulletin.state == PUBLISHED, Bulletin.topic.in_(topics)))]


def visible_to(session: Session, household: Household | None, community_id: int | None,
               limit: int = 20) -> list[Bulletin]:
    """Recent published bulletins whose scope holds this household, of every topic: an
    opt-out stops pushes only, and a resident who asks for 通知 sees all of them."""
    if household is not None:
        keys = [f"{kind}:{ident}" for kind, ident in scope_of_household(household).items()]
    elif community_id is not None:
        keys = [f"community:{community_id}"]
    else:
        return []
    q = select(Bulletin).where(Bulletin.state == PUBLISHED, Bulletin.scope_key.in_(keys))
    return list(session.scalars(q.order_by(Bulletin.published_at.desc(), Bulletin.id.desc())
                                .limit(limit)))
