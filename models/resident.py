"""A WeChat user of the Official Account, as far as the protocol knows them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Resident(Base):
    __tablename__ = "resident"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    # The Official Account they write through (an openid belongs to one account): NULL is
    # the deployment's own (`wechat`), else a community account's AppId (`accounts`).
    # Every push to them goes out through this account.
    app_id: Mapped[str | None] = mapped_column(String(64))
    followed: Mapped[bool] = mapped_column(default=True)
    followed_at: Mapped[datetime | None]
    unfollowed_at: Mapped[datetime | None]
    # The 48 h customer-service window opens at the user's last message, click or follow;
    # each message they send allows 5 customer-service messages.
    last_inbound_at: Mapped[datetime | None]
    cs_allowance: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Binding to a household (the community issue): unbound / pending / verified.
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="unbound")
    verified_at: Mapped[datetime | None]
    stairwell_head: Mapped[bool] = mapped_column(default=False)   # 楼道长 of their unit

    @property
    def verified(self) -> bool:
        return self.status == "verified" and self.household_id is not None

    def note_inbound(self, now: datetime, allowance: int = 5) -> None:
        self.last_inbound_at = now
        self.cs_allowance = allowance
