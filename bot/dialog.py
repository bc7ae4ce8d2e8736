"""Per-openid dialog state with a timeout, stored in the caller's transaction (the
database table; bot/shared_state.py keeps it in Redis where configured)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from models.wechat import DialogState


@dataclass
class Dialog:
    """The state of one resident's conversation; handlers change it, the service saves it."""

    openid: str
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    timed_out: str | None = None   # the state that expired just now, if any
    _dirty: bool = False
    shared: bool = False           # read from Redis, so saved there (after the commit)
    # The table row read by load(): the session's identity map holds rows weakly, so without
    # this reference save() would SELECT it a second time.
    _row: DialogState | None = field(default=None, repr=False, compare=False)

    def set(self, state: str, **data: Any) -> None:
        self.state, self.data, self._dirty = state, data, True

    def clear(self) -> None:
        if self.state is not None:
            self.state, self.data, self._dirty = None, {}, True


def load(session: Session, openid: str, now: datetime) -> Dialog:
    row = session.get(DialogState, openid)
    if row is None:
        return Dialog(openid)
    if row.expires_at <= now:
        session.delete(row)
        return Dialog(openid, timed_out=row.state)
    return Dialog(openid, row.state, dict(row.data or {}), _row=row)


def save(session: Session, dialog: Dialog, now: datetime, timeout: timedelta) -> None:
    if not dialog._dirty:
        if dialog.state is not None:  # any exchange inside a dialog keeps it alive
            row = dialog._row or session.get(DialogState, dialog.openid)
            if row is not None:
                row.expires_at = now + timeout
        return
    row = dialog._row or session.get(DialogState, dialog.openid)
    if dialog.state is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(DialogState(openid=dialog.openid, state=dialog.state, data=dialog.data,
                                expires_at=now + timeout))
    else:
        row.state, row.data, row.expires_at = dialog.state, dialog.data, now + timeout
