"""Every outbound message, recorded before it is sent (exactly once per notice and person),
the resident's inbox (what could not be pushed), and the mass sends counted per person."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow

PENDING, SENDING, SENT, FAILED, DEFERRED = "pending", "sending", "sent", "failed", "deferred"
# What the resident finds with 通知: pushes that did not reach them and that they have not read.
INBOX_STATUSES = (DEFERRED, FAILED)


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("notice_key", "openid"),
        Index("ix_delivery_status_due", "status", "next_attempt_at"),
        # The inbox: a resident's latest notices and their unread count, from the index alone.
        Index("ix_delivery_inbox", "openid", "read", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What is being delivered, e.g. "reply:<inbound id>", "bulletin:12", "ticket:3:accepted".
    notice_key: Mapped[str] = mapped_column(String(120))
    openid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    channel: Mapped[str | None] = mapped_column(String(16))
    errcode: Mapped[int | None]
    errmsg: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    urgent: Mapped[bool] = mapped_column(default=False)
    read: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # When a sender took the row (status sending); a row left sending by a crash is found by it.
    claimed_at: Mapped[datetime | None]
    # The template message id WeChat answered, matched by the TEMPLATESENDJOBFINISH receipt.
    msgid: Mapped[str | None] = mapped_column(String(32), index=True)


class MassSend(Base):
    """One mass message that reached one person (WeChat allows 4 a month per person)."""

    __tablename__ = "mass_send"
    __table_args__ = (Index("ix_mass_send_openid_sent", "openid", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    notice_key: Mapped[str] = mapped_column(String(120))
    msg_id: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


def inbox_query(openid: str):  # type: ignore[no-untyped-def]
    return select(Delivery).where(Delivery.openid == openid, Delivery.status.in_(INBOX_STATUSES),
                                  Delivery.read.is_(False))


def unread_count(session: Session, openid: str) -> int:
    return session.scalar(select(func.count()).select_from(
        inbox_query(openid).subquery())) or 0


def unread(session: Session, openid: str, limit: int = 10) -> list[Delivery]:
    return list(session.scalars(inbox_query(openid).order_by(Delivery.id.desc()).limit(limit)))


def mark_read(session: Session, openid: str, notice_keys: list[str] | None = None,
              ids: list[int] | None = None) -> int:
    """Mark deliveries read (the resident saw them with 通知); a pending one is then not pushed."""
    q = update(Delivery).where(Delivery.openid == openid, Delivery.read.is_(False))
    conds = []
    if notice_keys:
        conds.append(Delivery.notice_key.in_(notice_keys))
    if ids:
        conds.append(Delivery.id.in_(ids))
    if not conds:
        return 0
    return session.execute(q.where(or_(*conds)).values(read=True)).rowcount
