"""Short-lived state every worker shares: dialog state and the claim on a message.

Without Redis the database does both: dialog state lives in its table inside the
message's transaction, and the unique InboundMessage row turns a copy of a message into
a no-op. With Redis (app.py wires it) dialogs live there, written only once the
message's transaction has committed, and a message is claimed in Redis before any
database work, so a copy waits for the first worker's reply and a retry of a finished
message is answered from Redis alone. The InboundMessage row stays the source of truth:
it still commits with the side effects, so a lost or expired claim costs time, never a
second effect. While Redis is unreachable everything takes the database path; a dialog
saved in the table meanwhile moves back to Redis with the resident's next message.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot import dialog as dialogs
from bot.dialog import Dialog
from models import fastpath

log = logging.getLogger(__name__)

AfterCommit = Callable[[], None]
# Delete a key only while it still holds our value (a claim that expired and was taken
# over by another worker is theirs now).
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class RedisLink:
    """One Redis client and its key prefix, with a breaker: after a failure the stores
    use the database for a few seconds rather than wait on a timeout message after message."""

    def __init__(self, client: Any, prefix: str, cooldown: float = 5.0):
        from redis.exceptions import RedisError  # only when Redis is configured: ≈0.2 s import

        self.client = client
        self.prefix = prefix
        self.errors: type[Exception] = RedisError
        self.cooldown = cooldown
        self._down_until = 0.0

    def up(self) -> bool:
        return time.monotonic() >= self._down_until

    def down(self, what: str, exc: Exception) -> None:
        log.warning("Redis unavailable (%s: %s); using the database for %.0f s",
                    what, type(exc).__name__, self.cooldown)
        self._down_until = time.monotonic() + self.cooldown


# Dialog state -------------------------------------------------------------------------
class DialogStore(Protocol):
    def load(self, s: Session, openid: str, now: datetime,
             stored: dialogs.Stored = dialogs.UNREAD) -> Dialog:
        """`stored`: the table's row for this openid when the caller read it already."""

    def save(self, s: Session, dialog: Dialog, now: datetime) -> AfterCommit | None:
        """Save in the transaction, or return what to do once it has committed."""


class DbDialogs:
    def __init__(self, timeout: timedelta):
        self.timeout = timeout

    def load(self, s: Session, openid: str, now: datetime,
             stored: dialogs.Stored = dialogs.UNREAD) -> Dialog:
        return dialogs.load(s, openid, now, stored)

    def save(self, s: Session, dialog: Dialog, now: datetime) -> AfterCommit | None:
        dialogs.save(s, dialog, now, self.timeout)
        return None


class RedisDialogs:
    """One JSON value per openid. The expiry is in the value (the service's clock decides,
    as with the table) and the key outlives it by `grace`, so a resident who comes back
    soon after is told the dialog timed out instead of silently starting over."""

    def __init__(self, link: RedisLink, timeout: timedelta, grace: timedelta = timedelta(hours=1)):
        self.link = link
        self.timeout = timeout
        self.grace = grace
        self.db = DbDialogs(timeout)

    def _key(self, openid: str) -> str:
        return f"{self.link.prefix}dialog:{openid}"

    def load(self, s: Session, openid: str, now: datetime,
             stored: dialogs.Stored = dialogs.UNREAD) -> Dialog:
        if self.link.up():
            try:
                raw = self.link.client.get(self._key(openid))
            except self.link.errors as exc:
                self.link.down("loading a dialog", exc)
            else:
                if stored is dialogs.UNREAD:  # a new resident: nothing was read with them
                    stored = fastpath.for_session(s).dialog(s, openid)
                if stored is not None:
                    return self._from_table(s, openid, now, stored)
                if raw is None:
                    return Dialog(openid, shared=True)
                value = json.loads(raw)
                expires_at = datetime.fromisoformat(value["expires_at"])
                if expires_at <= now:
                    # Dirty, so the key is deleted after the commit (not before: a message
                    # that rolls back must find the same timed-out dialog on its retry).
                    return Dialog(openid, timed_out=value["state"], shared=True, _dirty=True)
                return Dialog(openid, value["state"], dict(value["data"] or {}), shared=True,
                              expires_at=expires_at)
        return self.db.load(s, openid, now, stored)

    def _from_table(self, s: Session, openid: str, now: datetime, stored: dialogs.Stored) -> Dialog:
        """A dialog row was saved while Redis was down, so after anything Redis still holds
        for this resident: it wins, leaves the table in this transaction and goes to Redis
        once the message commits (a rollback leaves both as they were)."""
        found = self.db.load(s, openid, now, stored)   # an expired row is deleted here
        if found.state is not None:
            fast = fastpath.for_session(s)
            fast.run(s, fast.sql_dialog_delete, (openid,))
        return Dialog(openid, found.state, found.data, timed_out=found.timed_out, shared=True,
                      _dirty=True, expires_at=found.expires_at)

    def save(self, s: Session, dialog: Dialog, now: datetime) -> AfterCommit | None:
        if not dialog.shared:  # read from the table while Redis was down: stays there
            return self.db.save(s, dialog, now)
        if dialog.state is None:
            if not dialog._dirty:
                return None
            return lambda: self._write("deleting a dialog", self.link.client.delete,
                                       self._key(dialog.openid))
        # Any exchange inside a dialog keeps it alive, as with the table (at most once a
        # minute when nothing else changed).
        expiry = now + self.timeout
        if not dialog._dirty and not dialog.keepalive_due(expiry):
            return None
        value = json.dumps({"state": dialog.state, "data": dialog.data,
                            "expires_at": expiry.isoformat()}, ensure_ascii=False)
        ttl_ms = int((self.timeout + self.grace).total_seconds() * 1000)
        return lambda: self._write("saving a dialog", self.link.client.set,
                                   self._key(dialog.openid), value, px=ttl_ms)

    def _write(self, what: str, op: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            op(*args, **kwargs)
        except self.link.errors as exc:
            # The message has committed; only this step of the dialog is lost.
            self.link.down(what, exc)


# Message claims -----------------------------------------------------------------------
@dataclass(frozen=True)
class Ticket:
    """What claiming a message gave: ours to handle, or the outcome another worker stored."""

    key: str
    owner: str | None = None                 # our claim in Redis, released on failure
    done: bool = False                       # handled elsewhere: answer with `reply`
    reply: dict[str, Any] | None = None      # Reply.to_json(), None for "success"
    intent: str | None = None


class Dedup(Protocol):
    def claim(self, key: str, stop: threading.Event, budget: float) -> Ticket: ...

    def finish(self, ticket: Ticket, reply: dict[str, Any] | None, intent: str | None) -> None:
        """The message has committed: keep its outcome for copies and retries."""

    def release(self, ticket: Ticket) -> None:
        """Handling failed and rolled back: let a copy or retry handle it afresh."""


class DbDedup:
    """The unique InboundMessage row alone decides (the service's own path)."""

    def claim(self, key: str, stop: threading.Event, budget: float) -> Ticket:
        return Ticket(key)

    def finish(self, ticket: Ticket, reply: dict[str, Any] | None, intent: str | None) -> None:
        return None

    def release(self, ticket: Ticket) -> None:
        return None


class RedisDedup:
    """One key per message: `claim:<owner>` while a worker handles it (expiring a little
    after the reply budget), then the stored outcome for `keep` (WeChat retries within
    about 15 s; an hour also covers a resident's resent copy)."""

    POLL = 0.02

    def __init__(self, link: RedisLink, budget: float, keep: timedelta = timedelta(hours=1)):
        self.link = link
        self.claim_ms = int((budget + 2.0) * 1000)
        self.keep_s = int(keep.total_seconds())

    def _key(self, key: str) -> str:
        return f"{self.link.prefix}msg:{key}"

    def claim(self, key: str, stop: threading.Event, budget: float) -> Ticket:
        if not self.link.up():
            return Ticket(key)
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + budget
        try:
            while True:
                if self.link.client.set(self._key(key), f"claim:{owner}", nx=True, px=self.claim_ms):
                    return Ticket(key, owner=owner)
                raw = self.link.client.get(self._key(key))
                if raw is not None and not raw.startswith(b"claim:"):
                    stored = json.loads(raw)
                    return Ticket(key, done=True, reply=stored["reply"], intent=stored["intent"])
                if raw is None:
                    continue  # the other worker failed and let go: handle it ourselves
                # Another worker is on it: wait for its outcome within our budget. If the
                # budget passes first, WeChat has been answered "success" already.
                if stop.wait(self.POLL) or time.monotonic() > deadline:
                    return Ticket(key, done=True)
        except self.link.errors as exc:
            self.link.down("claiming a message", exc)
            return Ticket(key)

    def finish(self, ticket: Ticket, reply: dict[str, Any] | None, intent: str | None) -> None:
        if not self.link.up():
            return
        value = json.dumps({"reply": reply, "intent": intent}, ensure_ascii=False)
        try:
            self.link.client.set(self._key(ticket.key), value, ex=self.keep_s)
        except self.link.errors as exc:
            self.link.down("storing a reply", exc)  # retries are then answered from the database

    def release(self, ticket: Ticket) -> None:
        if ticket.owner is None:
            return
        try:
            self.link.client.eval(RELEASE, 1, self._key(ticket.key), f"claim:{ticket.owner}")
        except self.link.errors as exc:
            self.link.down("releasing a claim", exc)  # it expires a moment after the budget
