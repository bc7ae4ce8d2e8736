"""Fan a notice out to the residents of a scope: one Delivery row per person, created in
the caller's transaction (exactly once per notice and person), sent after commit; and the
staff-chosen mass send, which WeChat allows 4 times a month per person."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.community import Scope, households_in
from models.db import transaction
from models.delivery import PENDING, SENDING, SENT, Delivery, MassSend
from models.resident import Resident
from notices import deliver
from notices.client import WeChatApiError

log = logging.getLogger(__name__)

MASS_PER_MONTH = 4        # a service account: 4 mass messages per user per month
MASS_BATCH = 10_000       # WeChat takes at most 10,000 openids per call, at least 2


def residents_in(session: Session, scope: Scope, *, verified_only: bool = True) -> list[str]:
    q = select(Resident.openid).where(Resident.household_id.in_(households_in(scope)),
                                      Resident.followed.is_(True))
    if verified_only:
        q = q.where(Resident.status == "verified")
    return list(session.scalars(q.order_by(Resident.id)))


def push_to_scope(session: Session, scope: Scope, text: str, *, notice_key: str,
                  kind: str = "notice", urgent: bool = False,
                  now: datetime | None = None) -> list[int]:
    """Queue `text` for every verified resident in scope; returns the new delivery ids."""
    return _enqueue_each(session, residents_in(session, scope), text, notice_key=notice_key,
                         kind=kind, urgent=urgent, now=now)


def push_to_households(session: Session, household_ids: list[int], text: str, *,
                       notice_key: str, kind: str = "notice", urgent: bool = False,
                       now: datetime | None = None) -> list[int]:
    """Queue `text` for every verified resident of these households."""
    q = select(Resident.openid).where(Resident.household_id.in_(household_ids),
                                      Resident.status == "verified", Resident.followed.is_(True))
    return _enqueue_each(session, list(session.scalars(q.order_by(Resident.id))), text,
                         notice_key=notice_key, kind=kind, urgent=urgent, now=now)


def _enqueue_each(session: Session, openids: list[str], text: str, *, notice_key: str, kind: str,
                  urgent: bool, now: datetime | None) -> list[int]:
    """One row per person, each in its own savepoint, so a row another process wrote
    first is skipped instead of failing the whole fan-out."""
    ids = []
    for openid in openids:
        row = deliver.enqueue(session, openid, text, notice_key=notice_key, kind=kind,
                              urgent=urgent, now=now)
        if row is not None:
            ids.append(row.id)
    return ids


# Mass send ----------------------------------------------------------------------------
def month_start(now: datetime, tz: Any) -> datetime:
    local = now.astimezone(tz)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)


def mass_used(session: Session, openids: list[str], now: datetime, tz: Any) -> dict[str, int]:
    """How many mass messages each of these people got this calendar month."""
    if not openids:
        return {}
    rows = session.execute(select(MassSend.openid, func.count()).where(
        MassSend.openid.in_(openids), MassSend.sent_at >= month_start(now, tz))
        .group_by(MassSend.openid))
    return {openid: n for openid, n in rows}


def mass_send(sender: deliver.Sender, notice_key: str, text: str, now: datetime) -> int:
    """Send a notice's pending deliveries as one mass message to those under the monthly
    limit; the others (and everyone, if the mass call fails) keep their pending rows for
    the ordinary channels. Returns how many were reached by the mass message."""
    tz = sender.settings.community.tz
    with transaction(sender.factory) as s:
        rows = list(s.execute(select(Delivery.id, Delivery.openid).where(
            Delivery.notice_key == notice_key, Delivery.status == PENDING)))
        used = mass_used(s, [o for _, o in rows], now, tz)
        chosen = [(i, o) for i, o in rows if used.get(o, 0) < MASS_PER_MONTH]
        if len(chosen) < 2:
            return 0
        # Claimed like any send, so no other sender takes them meanwhile; only the rows
        # this statement took are sent.
        took = set(s.scalars(update(Delivery).where(
            Delivery.id.in_([i for i, _ in chosen]), Delivery.status == PENDING)
            .values(status=SENDING, attempts=Delivery.attempts + 1, claimed_at=now,
                    channel="mass").returning(Delivery.id)
            .execution_options(synchronize_session=False)))
        chosen = [(i, o) for i, o in chosen if i in took]
    if len(chosen) < 2:
        with transaction(sender.factory) as s:
            s.execute(update(Delivery).where(Delivery.id.in_(list(took))).values(
                status=PENDING, channel=None, claimed_at=None, attempts=Delivery.attempts - 1)
                .execution_options(synchronize_session=False))
        return 0
    reached = 0
    for start in range(0, len(chosen), MASS_BATCH):
        batch = chosen[start:start + MASS_BATCH]
        batch_ids = [i for i, _ in batch]
        try:
            res = sender.mass_send([o for _, o in batch], text)   # per account
        except WeChatApiError as exc:
            log.warning("mass send of %s failed (%s); ordinary delivery instead", notice_key, exc)
            with transaction(sender.factory) as s:
                s.execute(update(Delivery).where(Delivery.id.in_(batch_ids))
                          .values(status=PENDING, channel=None, claimed_at=None,
                                  attempts=Delivery.attempts - 1))
            continue
        msg_id = str(res.get("msg_id") or "") or None
        with transaction(sender.factory) as s:
            s.execute(update(Delivery).where(Delivery.id.in_(batch_ids)).values(
                status=SENT, channel="mass", sent_at=now, msgid=msg_id))
            s.add_all([MassSend(openid=o, notice_key=notice_key, msg_id=msg_id, sent_at=now)
                       for _, o in batch])
        reached += len(batch)
    return reached
