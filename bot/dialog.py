"""Per-openid dialog state with a timeout, stored in the caller's transaction (the
database table; bot/shared_state.py keeps it in Redis where configured).

Every message pays for this, so it is written in Core statements on the session's
connection (an ORM load and flush cost about ten times as much), and a dialog that is
only kept alive is written at most once a minute (KEEPALIVE_STEP).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from models.wechat import DialogState

# Any exchange inside a dialog keeps it alive; extending the expiry by less than this is
# skipped, so a burst of messages costs no write (a dialog then lasts its timeout, less
# at most this step, after the last message).
KEEPALIVE_STEP = timedelta(minutes=1)

_T = DialogState.__table__
_LOAD = select(_T.c.state, _T.c.data, _T.c.expires_at).where(_T.c.openid == bindparam("openid"))
_DELETE = delete(_T).where(_T.c.openid == bindparam("key"))
_UPDATE = (update(_T).where(_T.c.openid == bindparam("key"))
           .values(state=bindparam("state"), data=bindparam("data"), expires_at=bindparam("expires_at")))
_EXTEND = update(_T).where(_T.c.openid == bindparam("key")).values(expires_at=bindparam("expires_at"))
_INSERT = insert(_T)

# A stored dialog as read: (state, data, expires_at), or None when the resident has none.
Stored = tuple[str, dict[str, Any] | None, datetime] | None
UNREAD: Any = object()  # load() reads the row itself


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


def read(session: Session, openid: str) -> Stored:
    row = session.connection().execute(_LOAD, {"openid": openid}).first()
    return None if row is None else (row[0], row[1], row[2])


def load(session: Session, openid: str, now: datetime, stored: Stored = UNREAD) -> Dialog:
    """The resident's dialog; `stored` is its row when the caller read it already (the
    service reads it together with the resident)."""
    if stored is UNREAD:
        stored = read(session, openid)
    if stored is None:
        return Dialog(openid)
    state, data, expires_at = stored
    if expires_at <= now:
        session.connection().execute(_DELETE, {"key": openid})
        return Dialog(openid, timed_out=state)
    return Dialog(openid, state, dict(data or {}), expires_at=expires_at, _stored=True)


def save(session: Session, dialog: Dialog, now: datetime, timeout: timedelta) -> None:
    expiry = now + timeout
    conn = session.connection()
    if not dialog._dirty:
        if dialog.state is not None and dialog._stored and dialog.keepalive_due(expiry):
            conn.execute(_EXTEND, {"key": dialog.openid, "expires_at": expiry})
        return
    if dialog.state is None:
        if dialog._stored:
            conn.execute(_DELETE, {"key": dialog.openid})
        return
    if dialog._stored:
        conn.execute(_UPDATE, {"key": dialog.openid, "state": dialog.state, "data": dialog.data,
                               "expires_at": expiry})
    else:
        conn.execute(_INSERT, {"openid": dialog.openid, "state": dialog.state, "data": dialog.data,
                               "expires_at": expiry})
