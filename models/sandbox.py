"""What the sandbox's stand-in WeChat API received, and what the chat page showed."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class SandboxMessage(Base):
    __tablename__ = "sandbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    # in: the user wrote; reply: the passive reply; push: a call to the stand-in API
    direction: Mapped[str] = mapped_column(String(8))
    api: Mapped[str | None] = mapped_column(String(32))
    # The Official Account the message came in or went out through (several in one deployment).
    app_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
