"""People on the roster, bindings of WeChat users to households, and staff."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow
from models.community import Scope, households_in
from models.resident import Resident

# Resident.status
UNBOUND, PENDING, VERIFIED = "unbound", "pending", "verified"
# Staff roles (PRODUCT §1): grid worker, social worker, committee, admin.
ROLES = ("网格员", "社工", "居委会", "管理员")
# RosterEntry.identity
IDENTITIES = ("业主", "租户")
# BindingRequest.status
REQUEST_PENDING, APPROVED, REJECTED, WITHDRAWN = "pending", "approved", "rejected", "withdrawn"


def mask_phone(phone: str) -> str:
    """138****5678: what replies, logs and the console may show of a phone number."""
    if len(phone) >= 7:
        return f"{phone[:3]}****{phone[-4:]}"
    return "****" + phone[-4:] if phone else ""


class RosterEntry(Base):
    """One person on the committee's roster. The phone is kept only as its last four digits
    (for binding), a mask for display, and a keyed hash (to notice changes on re-import)."""

    __tablename__ = "roster_entry"
    __table_args__ = (UniqueConstraint("household_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    phone_last4: Mapped[str] = mapped_column(String(4), default="")
    phone_masked: Mapped[str] = mapped_column(String(16), default="")
    phone_hash: Mapped[str] = mapped_column(String(64), default="")
    identity: Mapped[str] = mapped_column(String(8))   # 业主 / 租户
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BindingRequest(Base):
    """A binding that did not match the roster and waits for staff (审核)."""

    __tablename__ = "binding_request"
    __table_args__ = (Index("ix_binding_request_status_household", "status", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    name: Mapped[str] = mapped_column(String(64))
    phone_last4: Mapped[str] = mapped_column(String(4), default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending/approved/rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(8))
    scope_kind: Mapped[str] = mapped_column(String(16), default="community")
    scope_id: Mapped[int | None]
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BindAttempt(Base):
    """One try to bind to a household by chat; failures in the last hour are counted (per
    household and per openid) to stop people guessing names and phone digits."""

    __tablename__ = "bind_attempt"
    __table_args__ = (
        Index("ix_bind_attempt_household_time", "household_id", "ok", "created_at"),
        Index("ix_bind_attempt_openid_time", "openid", "ok", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    ok: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Binding rules (used by handlers/binding.py and, later, the console) -----------------------
ATTEMPT_WINDOW = timedelta(hours=1)
MAX_FAILURES = 5   # wrong guesses per household (from anyone) or per openid, per window


def rate_limited(session: Session, openid: str, household_id: int, now: datetime) -> bool:
    """Too many wrong guesses in the last hour for this household or from this openid?"""
    since = now - ATTEMPT_WINDOW
    failed = select(func.count()).select_from(BindAttempt).where(
        BindAttempt.ok.is_(False), BindAttempt.created_at > since)
    by_household = session.scalar(failed.where(BindAttempt.household_id == household_id)) or 0
    if by_household >= MAX_FAILURES:
        return True
    return (session.scalar(failed.where(BindAttempt.openid == openid)) or 0) >= MAX_FAILURES


def roster_match(session: Session, household_id: int, name: str, last4: str) -> RosterEntry | None:
    if not (name and last4 and len(last4) == 4):
        return None
    return session.scalars(select(RosterEntry).where(
        RosterEntry.household_id == household_id, RosterEntry.name == name,
        RosterEntry.phone_last4 == last4)).first()


def roster_entry_of(session: Session, resident: Resident) -> RosterEntry | None:
    if resident.household_id is None or not resident.name:
        return None
    return session.scalars(select(RosterEntry).where(
        RosterEntry.household_id == resident.household_id, RosterEntry.name == resident.name)).first()


def _withdraw_pending(session: Session, openid: str, now: datetime) -> None:
    session.execute(update(BindingRequest)
                    .where(BindingRequest.openid == openid, BindingRequest.status == REQUEST_PENDING)
                    .values(status=WITHDRAWN, decided_at=now))


def try_bind(session: Session, resident: Resident, household_id: int, name: str, last4: str,
             now: datetime) -> BindingRequest | None:
    """Bind by roster match (verified, returns None) or leave a pending request (returned)."""
    entry = roster_match(session, household_id, name, last4)
    session.add(BindAttempt(openid=resident.openid, household_id=household_id, ok=entry is not None,
                            created_at=now))
    _withdraw_pending(session, resident.openid, now)
    resident.household_id, resident.name = household_id, name
    resident.stairwell_head = False
    if entry is not None:
        resident.status, resident.verified_at = VERIFIED, now
        session.flush()
        return None
    resident.status, resident.verified_at = PENDING, None
    request = BindingRequest(openid=resident.openid, household_id=household_id, name=name,
                             phone_last4=last4, status=REQUEST_PENDING, created_at=now)
    session.add(request)
    session.flush()
    return request


def unbind(session: Session, resident: Resident, now: datetime) -> None:
    _withdraw_pending(session, resident.openid, now)
    resident.household_id, resident.name, resident.status = None, None, UNBOUND
    resident.verified_at, resident.stairwell_head = None, False
    session.flush()


def decide(session: Session, request_id: int, staff: Staff, approve: bool, reason: str | None,
           now: datetime) -> BindingRequest | None:
    """Approve or reject a pending request once (an atomic conditional UPDATE, so two staff
    deciding at the same moment cannot both win); None if it was no longer pending."""
    done = session.execute(
        update(BindingRequest)
        .where(BindingRequest.id == request_id, BindingRequest.status == REQUEST_PENDING)
        .values(status=APPROVED if approve else REJECTED, decided_by=staff.id, decided_at=now,
                reason=reason)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return None
    request = session.get(BindingRequest, request_id, populate_existing=True)
    assert request is not None
    resident = session.scalars(select(Resident).where(Resident.openid == request.openid)
                               .with_for_update()).first()
    if resident is not None and resident.household_id == request.household_id \
            and resident.status == PENDING:
        if approve:
            resident.name, resident.status, resident.verified_at = request.name, VERIFIED, now
        else:
            resident.household_id, resident.name, resident.status = None, None, UNBOUND
    session.flush()
    return request


def pending_requests(session: Session, scope: Scope | None, limit: int = 9) -> list[BindingRequest]:
    """Pending requests inside a scope (None: everywhere), oldest first."""
    q = select(BindingRequest).where(BindingRequest.status == REQUEST_PENDING)
    if scope is not None:
        q = q.where(BindingRequest.household_id.in_(households_in(scope)))
    return list(session.scalars(q.order_by(BindingRequest.created_at, BindingRequest.id).limit(limit)))


def count_pending(session: Session, scope: Scope | None) -> int:
    q = select(func.count()).select_from(BindingRequest).where(BindingRequest.status == REQUEST_PENDING)
    if scope is not None:
        q = q.where(BindingRequest.household_id.in_(households_in(scope)))
    return session.scalar(q) or 0


def roster_of(session: Session, household_id: int) -> list[RosterEntry]:
    return list(session.scalars(select(RosterEntry).where(RosterEntry.household_id == household_id)
                                .order_by(RosterEntry.id)))
