"""Per-openid dialog state with a timeout, stored in the caller's transaction (the
database table; bot/shared_state.py keeps it in Redis where configured).

Every message pays for this, so it runs on models/fastpath.py's plain statements, and a
dialog that is only kept alive is written at most once a minute (KEEPALIVE_STEP).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from models import fastpath
from models.fastpath import Stored

# Any exchange inside a dialog keeps it alive; extending the expiry by less than this is
# skipped, so a burst of messages costs no write (a dialog then lasts its timeout, less
# at most this step, after the last message).
KEEPALIVE_STEP = timedelta(minutes=1)
UNREAD: Any = object()  # load() reads the row itself

__all__ = ["Dialog", "KEEPALIVE_STEP", "Stored", "UNREAD", "load", "save"]


@dataclass
class Dialog:
    """The state of one resident's conversation; handlers change it, the service saves it."""

    openid: str
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    timed_out: str | None = None   # the state that expired just now, if any
    _dirty: bool = False
    shared: bool = False           # read from Redis, so saved there (after the commit)
    expires_at: datetime | None = field(default=None, compare=False)  # as stored
    _stored: bool = field(default=False, repr=False, compare=False)   # a table row exists

    def set(self, state: str, **data: Any) -> None:
        self.state, self.data, self._dirty = state, data, True

    def clear(self) -> None:
        if self.state is not None:
            self.state, self.data, self._dirty = None, {}, True

    def keepalive_due(self, new_expiry: datetime) -> bool:
        return self.expires_at is None or new_expiry - self.expires_at >= KEEPALIVE_STEP


def load(session: Session, openid: str, now: datetime, stored: Stored = UNREAD) -> Dialog:
    """The resident's dialog; `stored` is its row when the caller read it already (the
    service reads it together with the resident)."""
    fast = fastpath.for_session(session)
    if stored is UNREAD:
        stored = fast.dialog(session, openid)
    if stored is None:
        return Dialog(openid)
    state, data, expires_at = stored
    if expires_at <= now:
        fast.run(session, fast.sql_dialog_delete, (openid,))
        return Dialog(openid, timed_out=state)
    return Dialog(openid, state, dict(data or {}), expires_at=expires_at, _stored=True)


def save(session: Session, dialog: Dialog, now: datetime, timeout: timedelta) -> None:
    fast = fastpath.for_session(session)
    expiry = now + timeout
    if not dialog._dirty:
        if dialog.state is not None and dialog._stored and dialog.keepalive_due(expiry):
            fast.run(session, fast.sql_dialog_extend, (fast.time_in(expiry), dialog.openid))
        return
    if dialog.state is None:
        if dialog._stored:
            fast.run(session, fast.sql_dialog_delete, (dialog.openid,))
        return
    sql = fast.sql_dialog_update if dialog._stored else fast.sql_dialog_insert
    fast.run(session, sql, (dialog.state, fast.json_in(dialog.data), fast.time_in(expiry),
                            dialog.openid))
