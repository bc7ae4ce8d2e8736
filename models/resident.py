"""A WeChat user of the Official Account, as far as the protocol knows them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Resident(Base):
    __tablename__ = "resident"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    followed: Mapped[bool] = mapped_column(default=True)
    followed_at: Mapped[datetime | None]
    unfollowed_at: Mapped[datetime | None]
    # The 48 h customer-service window opens at the user's last message, click or follow;
    # each message they send allows 5 customer-service messages.
    last_inbound_at: Mapped[datetime | None]
    cs_allowance: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def note_inbound(self, now: datetime, allowance: int = 5) -> None:
        self.last_inbound_at = now
        self.cs_allowance = allowance
