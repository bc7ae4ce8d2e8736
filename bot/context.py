"""What a handler gets: the session, settings, clock, the resident and their dialog."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.dialog import Dialog
from bot.inbound import Inbound
from models.resident import Resident
from notices import deliver
from settings import Settings

if TYPE_CHECKING:
    from bot.nlu import Understanding


@dataclass
class Context:
    session: Session
    settings: Settings
    now: datetime                      # aware UTC
    inbound: Inbound
    resident: Resident
    dialog: Dialog
    understanding: Understanding | None = None
    pushed: list[int] = field(default_factory=list)   # delivery ids to send after commit
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def openid(self) -> str:
        return self.inbound.openid

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.settings.community.tz)

    @property
    def slots(self) -> dict[str, Any]:
        return dict(self.understanding.slots) if self.understanding else {}

    def push(self, openid: str, text: str, *, notice_key: str, kind: str = "notice",
             urgent: bool = False) -> None:
        """Queue a message to someone else (or later to this resident); sent after commit."""
        row = deliver.enqueue(self.session, openid, text, notice_key=notice_key, kind=kind,
                              urgent=urgent, now=self.now, tz=self.settings.community.tz)
        if row is not None:
            self.pushed.append(row.id)
