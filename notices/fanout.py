"""Fan a notice out to the residents of a scope: one Delivery row per person, created in
the caller's transaction (exactly once per notice and person), sent after commit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.community import Scope, households_in
from models.resident import Resident
from notices import deliver


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
    ids = []
    for openid in residents_in(session, scope):
        row = deliver.enqueue(session, openid, text, notice_key=notice_key, kind=kind,
                              urgent=urgent, now=now)
        if row is not None:
            ids.append(row.id)
    return ids


def push_to_households(session: Session, household_ids: list[int], text: str, *,
                       notice_key: str, kind: str = "notice", urgent: bool = False,
                       now: datetime | None = None) -> list[int]:
    """Queue `text` for every verified resident of these households."""
    ids = []
    q = select(Resident.openid).where(Resident.household_id.in_(household_ids),
                                      Resident.status == "verified", Resident.followed.is_(True))
    for openid in session.scalars(q.order_by(Resident.id)):
        row = deliver.enqueue(session, openid, text, notice_key=notice_key, kind=kind,
                              urgent=urgent, now=now)
        if row is not None:
            ids.append(row.id)
    return ids
