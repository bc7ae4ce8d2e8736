"""People on the roster, bindings of WeChat users to households, and staff."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

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
