"""The message pipeline: deduplicate, dispatch inside one transaction, answer in time.

The dedup row and every side effect of a message commit together, so a retry of a
finished message finds the row (and its reply) and has no second effect, and a crash
leaves no row behind, so WeChat's retry is processed afresh. Work that outlives the reply budget is
answered with "success" and its reply goes out as a customer-service message.
Where Redis is configured, bot/shared_state.py claims each message there first and keeps
dialog state there; the database row above still decides.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot import accounts
from bot.context import Context
from bot.dispatch import Dispatcher
from bot.handoff import Handoff, Late
from bot.inbound import Inbound
from bot.ratelimit import Limiter, LocalLimiter
from bot.reply import Reply
from bot.shared_state import AfterCommit, DbDedup, DbDialogs, Dedup, DialogStore, Ticket
from models import fastpath
from models.base import utcnow
from models.db import again_if_connection_lost, transaction
from models.resident import Resident
from models.wechat import InboundMessage
from notices import deliver
from notices.deliver import Sender
from settings import Settings

log = logging.getLogger(__name__)

SORRY = "系统有点忙，请稍后再发一次。"
SLOW_DOWN = "您发得有点快，请稍等一分钟再发。"


class _Duplicate(Exception):
    """This message was (or is being) handled already."""


@dataclass(frozen=True)
class Outcome:
    reply: Reply | None        # None: answer "success" (nothing, or it went another way)
    duplicate: bool = False
    intent: str | None = None
    deferred: bool = False     # the budget ran out; the reply goes by customer-service message

    @property
    def label(self) -> str:
        if self.intent == "rate_limited":
            return "rate_limited"
        if self.duplicate:
            return "duplicate"
        if self.deferred:
            return "deferred"
        if self.intent == "error":
            return "error"
        return "replied" if self.reply is not None else "silent"


class MessageService:
    def __init__(self, settings: Settings, factory: sessionmaker[Session],
                 dispatcher: Dispatcher, sender: Sender,
                 clock: Callable[[], datetime] = utcnow):
        self.settings = settings
        self.factory = factory
        self.dispatcher = dispatcher
        self.sender = sender
        self.clock = clock
        self.handoff = Handoff(settings.server.worker_threads)   # the reply path
        self.pool = self._new_pool()                             # pushes after a reply
        self.before: list[Callable[[Inbound], None]] = []       # e.g. the sandbox's record
        self.limiter: Limiter = LocalLimiter()
        self.dialogs: DialogStore = DbDialogs(timedelta(minutes=settings.dialog.timeout_minutes))
        self.dedup: Dedup = DbDedup()
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()
        self.observers: list[Callable[[Inbound, Outcome], None]] = []
        # A process forked from this one (gunicorn's preload) must not inherit the pool: its
        # threads do not exist in the child, so work submitted there would never run.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (alive := ref()) is not None and alive._forked())

    def _new_pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.settings.server.worker_threads,
                                  thread_name_prefix="linli-msg")

    def _forked(self) -> None:
        self.pool, self._pending, self._lock = self._new_pool(), set(), threading.Lock()

    # Entry point of the webhook ----------------------------------------------------------
    def handle(self, inbound: Inbound) -> Outcome:
        """Process within the reply budget; past it, reply later by customer-service message."""
        limited = self._rate_limited(inbound)
        if limited is not None:
            return limited
        for note in self.before:
            note(inbound)
        late = threading.Event()
        try:
            outcome = self.handoff.run(self.process, inbound, late,
                                       timeout=self.settings.server.reply_budget_seconds)
        except Late:
            late.set()
            log.warning("reply budget passed for %s; answering by customer-service message",
                        inbound.dedup_key)
            return Outcome(None, deferred=True)
        for observe in self.observers:
            observe(inbound, outcome)
        return outcome

    def _rate_limited(self, inbound: Inbound) -> Outcome | None:
        """Past the per-minute limit: one polite answer, then silence, and no database work.
        Leaving the account is never limited (it stops pushes)."""
        if inbound.event == "unsubscribe":
            return None
        limit = self.settings.server.rate_limit_per_minute
        try:
            count = self.limiter.hit(inbound.openid)
        except Exception:  # noqa: BLE001 - a limiter outage must not silence residents
            log.warning("rate limiter unavailable; letting %s through", inbound.openid)
            return None
        if count <= limit:
            return None
        log.info("rate limit: %s sent %d messages this minute", inbound.openid, count)
        return Outcome(Reply(SLOW_DOWN) if count == limit + 1 else None, intent="rate_limited")

    def process(self, inbound: Inbound, late: threading.Event | None = None) -> Outcome:
        now = self.clock()
        late = late or threading.Event()
        ticket = self.dedup.claim(inbound.dedup_key, late, self.settings.server.reply_budget_seconds)
        if ticket.done:  # another worker handled (or is still handling) this message
            return self._answer_stored(ticket.reply, ticket.intent)
        try:
            outcome, pushed = self._process_with_retry(inbound, now)
            failed = False
        except _Duplicate:
            return self._duplicate(inbound, ticket)
        except OperationalError:
            # Database down or locked too long: the webhook answers 503 and WeChat retries.
            self.dedup.release(ticket)
            log.exception("database unavailable for %s", inbound.dedup_key)
            raise
        except Exception:  # noqa: BLE001 - a resident never sees a stack trace or nothing
            self.dedup.release(ticket)  # rolled back: a retry is handled afresh
            log.exception("handling %s failed", inbound.dedup_key)
            outcome, pushed, failed = Outcome(Reply(SORRY), intent="error"), [], True
        was_late = late.is_set()
        if not failed:
            # For copies and retries; past the budget the reply goes by customer-service
            # message, so a retry is answered "success" rather than a second time.
            reply = outcome.reply
            self.dedup.finish(ticket, None if reply is None or was_late else reply.to_json(),
                              outcome.intent)
        if was_late and outcome.reply is not None:
            self._reply_late(inbound, outcome.reply, now)
        if pushed:
            self._background(self._send_quietly, pushed)
        return outcome

    def _background(self, fn: Callable[..., None], *args: object) -> None:
        future = self.pool.submit(fn, *args)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _process_with_retry(self, inbound: Inbound, now: datetime) -> tuple[Outcome, list[int]]:
        """A unique-key conflict means another worker handled this message (a duplicate) or
        raced us on something else, such as creating the same new resident: then try again.
        So does a connection the database dropped (pooled connections are not pinged while
        in steady use, models/db.py): nothing of the message committed on it, or, if its
        COMMIT went through, the retry finds the message's row and is a duplicate."""
        for attempt in (1, 2):
            try:
                return again_if_connection_lost(lambda: self._process_once(inbound, now))
            except IntegrityError:
                if self._stored(inbound) is not None:
                    raise _Duplicate() from None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _stored(self, inbound: Inbound) -> InboundMessage | None:
        """The committed record of this message, if any worker handled it already."""
        with self.factory() as s:
            return s.scalars(select(InboundMessage)
                             .where(InboundMessage.dedup_key == inbound.dedup_key)).first()

    def _process_once(self, inbound: Inbound, now: datetime) -> tuple[Outcome, list[int]]:
        early = self.dispatcher.understand_early(inbound, now)
        with transaction(self.factory) as s:
            # The statements every message runs are plain SQL (models/fastpath.py); the
            # resident and their dialog come in one.
            fast = fastpath.for_session(s)
            values, stored = fast.load(s, inbound.openid)
            resident = self._resident(s, fast, values, inbound, now)
            dialog = self.dialogs.load(s, inbound.openid, now, stored)
            ctx = Context(session=s, settings=self.settings, now=now, inbound=inbound,
                          resident=resident, dialog=dialog, extra=early)
            accounts.note(ctx)   # the account it came through: the resident's, its community
            reply = self.dispatcher.dispatch(ctx)
            after: AfterCommit | None = self.dialogs.save(s, dialog, now)
            intent = ctx.understanding.intent if ctx.understanding else inbound.event
            # The dedup row goes in last, in the same transaction as every side effect: a
            # concurrent copy of this message fails here (PostgreSQL waits for the first
            # to commit; SQLite runs them one after the other) and all it did is rolled back.
            s.flush()  # the handler's own constraint errors surface as errors, not duplicates
            try:
                fast.record(s, dedup_key=inbound.dedup_key, openid=inbound.openid,
                            msg_type=inbound.event or inbound.msg_type, intent=intent,
                            reply=None if reply.empty else reply.to_json(), received_at=now)
            except IntegrityError:
                raise _Duplicate() from None
            done = Outcome(None if reply.empty else reply, intent=intent), ctx.pushed
        if after is not None:
            after()  # a dialog kept in Redis changes only once the message has committed
        return done

    def _resident(self, s: Session, fast: fastpath.FastPath, values: dict[str, Any] | None,
                  inbound: Inbound, now: datetime) -> Resident:
        if values is None:
            resident = Resident(openid=inbound.openid, followed=True, followed_at=now)
            s.add(resident)
        else:
            resident = fast.resident(s, values)
        # The customer-service window opens on any message, click or follow (not on
        # unsubscribe, receipts or reported locations).
        if inbound.msg_type != "event" or inbound.event in ("subscribe", "click", "scan", "view"):
            last = resident.last_inbound_at
            # Skip the write when nothing would change the window (a burst of messages).
            if last is None or now - last > timedelta(seconds=30) or resident.cs_allowance < 5:
                resident.note_inbound(now)
        return resident

    def _duplicate(self, inbound: Inbound, ticket: Ticket) -> Outcome:
        """A retry: give the stored reply, or nothing if it went out another way."""
        row = self._stored(inbound)
        if row is None:
            self.dedup.release(ticket)
            return Outcome(None, duplicate=True)
        reply = None if row.deferred else row.reply
        self.dedup.finish(ticket, reply, row.intent)
        return self._answer_stored(reply, row.intent)

    @staticmethod
    def _answer_stored(reply: dict[str, Any] | None, intent: str | None) -> Outcome:
        if reply is None:
            return Outcome(None, duplicate=True)
        return Outcome(Reply.from_json(reply), duplicate=True, intent=intent)

    def _reply_late(self, inbound: Inbound, reply: Reply, now: datetime) -> None:
        with transaction(self.factory) as s:
            s.execute(update(InboundMessage).where(InboundMessage.dedup_key == inbound.dedup_key)
                      .values(deferred=True))
            row = deliver.enqueue(s, inbound.openid, reply.text,
                                  notice_key=f"reply:{inbound.dedup_key}", kind="reply",
                                  urgent=True, now=now)
            if row is not None:
                row.body = {**row.body, "custom": reply.as_customer_message()}
                ids = [row.id]
            else:
                ids = []
        self._send_quietly(ids)

    def _send_quietly(self, ids: list[int]) -> None:
        try:
            self.sender.send_ids(ids, self.clock())
        except Exception:  # noqa: BLE001 - a failed push is retried by the delivery job
            log.exception("sending deliveries %s failed; the delivery job will retry", ids)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every background send queued so far is done (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            for future in pending:
                future.result(timeout=max(0.0, deadline - time.monotonic()))

    def shutdown(self) -> None:
        self.handoff.shutdown()
        self.pool.shutdown(wait=True)
