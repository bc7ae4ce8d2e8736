"""Protocol state: message deduplication, the shared access token, dialog state."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class InboundMessage(Base):
    """One row per message WeChat delivered; the unique key turns retries into no-ops."""

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    msg_type: Mapped[str] = mapped_column(String(32))
    intent: Mapped[str | None] = mapped_column(String(48))
    # The reply as rendered for a retry; `deferred` when it went out by customer-service
    # message because the reply budget ran out (a retry then answers "success").
    reply: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    deferred: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AccessToken(Base):
    """The one access token per AppId, shared by every process."""

    __tablename__ = "access_token"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime | None]
    fetch_count: Mapped[int] = mapped_column(default=0)


class DialogState(Base):
    __tablename__ = "dialog_state"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime]
