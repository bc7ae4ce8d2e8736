"""The one delivery path: a Delivery row is written in the caller's transaction, then
sent after commit through the best channel that can reach the resident now."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models.base import utcnow
from models.db import transaction
from models.delivery import DEFERRED, FAILED, PENDING, SENDING, SENT, Delivery
from models.resident import Resident
from notices.client import WeChatApi, WeChatApiError
from settings import Settings

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=48)
OUT_OF_WINDOW, OVER_COUNT = 45015, 45047
BACKOFF = [timedelta(seconds=s) for s in (30, 120, 600, 1800, 3600)]


def enqueue(session: Session, openid: str, text: str, *, notice_key: str, kind: str = "notice",
            urgent: bool = False, template_data: dict[str, Any] | None = None,
            now: datetime | None = None) -> Delivery | None:
    """Record a message for one resident; None when this notice already has a row for them."""
    row = Delivery(notice_key=notice_key[:120], openid=openid, kind=kind, urgent=urgent,
                   body={"text": text, "template_data": template_data or {}},
                   status=PENDING, next_attempt_at=now or utcnow())
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


class Sender:
    """Sends pending deliveries; the database session is closed during network calls."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session], api: WeChatApi):
        self.settings = settings
        self.factory = factory
        self.api = api

    def _claim(self, delivery_id: int, now: datetime) -> Delivery | None:
        with transaction(self.factory) as s:
            claimed = s.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == PENDING,
                       Delivery.next_attempt_at <= now)
                .values(status=SENDING, attempts=Delivery.attempts + 1)
            ).rowcount
            if not claimed:
                return None
            return s.get(Delivery, delivery_id)

    def send_ids(self, ids: Iterable[int], now: datetime | None = None) -> int:
        sent = 0
        for delivery_id in ids:
            sent += self.send_one(delivery_id, now or utcnow())
        return sent

    def send_due(self, now: datetime, limit: int = 500) -> int:
        with self.factory() as s:
            ids = list(s.scalars(select(Delivery.id).where(
                Delivery.status == PENDING, Delivery.next_attempt_at <= now)
                .order_by(Delivery.id).limit(limit)))
        return self.send_ids(ids, now)

    def send_one(self, delivery_id: int, now: datetime) -> int:
        d = self._claim(delivery_id, now)
        if d is None:
            return 0
        with self.factory() as s:
            resident = s.scalars(select(Resident).where(Resident.openid == d.openid)).first()
            followed = resident is not None and resident.followed
            in_window = (resident is not None and resident.last_inbound_at is not None
                         and now - resident.last_inbound_at < WINDOW
                         and resident.cs_allowance > 0)
        outcome: tuple[str, str, int | None, str | None] = (DEFERRED, "inbox", None, None)
        if followed:
            for channel in self.settings.wechat.channels:
                if channel == "inbox":
                    break
                try:
                    if channel == "template":
                        template_id = self.settings.wechat.templates.get(d.kind)
                        if not template_id:
                            continue
                        self.api.send_template(d.openid, template_id, _template_data(d))
                    elif channel == "customer":
                        if not in_window:
                            continue
                        self.api.send_custom(d.openid, _custom_body(d))
                        self._use_allowance(d.openid)
                    outcome = (SENT, channel, None, None)
                    break
                except WeChatApiError as exc:
                    if exc.transient:
                        return self._retry_later(d, now, channel, exc)
                    log.info("delivery %s via %s refused: %s", d.id, channel, exc)
                    outcome = (DEFERRED, "inbox", exc.errcode, exc.errmsg)
                    if exc.errcode in (OUT_OF_WINDOW, OVER_COUNT):
                        self._close_window(d.openid)
                    continue
        status, channel, errcode, errmsg = outcome
        with transaction(self.factory) as s:
            s.execute(update(Delivery).where(Delivery.id == d.id).values(
                status=status, channel=channel, errcode=errcode, errmsg=errmsg,
                sent_at=now if status == SENT else None))
        return 1 if status == SENT else 0

    def _retry_later(self, d: Delivery, now: datetime, channel: str, exc: WeChatApiError) -> int:
        attempts = d.attempts
        final = attempts >= len(BACKOFF)
        with transaction(self.factory) as s:
            s.execute(update(Delivery).where(Delivery.id == d.id).values(
                status=FAILED if final else PENDING, channel=channel, errcode=exc.errcode,
                errmsg=exc.errmsg[:500],
                next_attempt_at=now + BACKOFF[min(attempts, len(BACKOFF) - 1)]))
        return 0

    def _use_allowance(self, openid: str) -> None:
        with transaction(self.factory) as s:
            s.execute(update(Resident).where(Resident.openid == openid, Resident.cs_allowance > 0)
                      .values(cs_allowance=Resident.cs_allowance - 1))

    def _close_window(self, openid: str) -> None:
        with transaction(self.factory) as s:
            s.execute(update(Resident).where(Resident.openid == openid).values(cs_allowance=0))


def _custom_body(d: Delivery) -> dict[str, Any]:
    if d.body.get("custom"):
        return dict(d.body["custom"])
    return {"msgtype": "text", "text": {"content": d.body.get("text", "")}}


def _template_data(d: Delivery) -> dict[str, Any]:
    data = d.body.get("template_data") or {}
    if data:
        return data
    return {"first": {"value": d.body.get("text", "")[:200]}}
