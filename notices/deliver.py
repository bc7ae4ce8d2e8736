"""The one delivery path: a Delivery row is written in the caller's transaction, then
sent after commit through the best channel that can reach the resident now.

Exactly once: the row exists before any send; a sender claims it with a conditional
UPDATE (pending → sending, attempts + 1, claimed_at); the result is written with a
condition on that attempt. A row found still `sending` long after its claim belongs to a
sender that died between the claim and the result. WeChat has no idempotency key for
customer-service or template messages, so such a row is not sent again: it is marked
failed "uncertain" and lands in the resident's inbox (通知), where it is never lost.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models.base import utcnow
from models.db import transaction
from models.delivery import DEFERRED, FAILED, PENDING, SENDING, SENT, Delivery
from models.resident import Resident
from notices.client import Accounts, WeChatApi, WeChatApiError
from settings import Settings

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=48)
OUT_OF_WINDOW, OVER_COUNT = 45015, 45047
BACKOFF = [timedelta(seconds=s) for s in (30, 120, 600, 1800, 3600)]
# Quiet hours (settings delivery.quiet_start / quiet_end): non-urgent pushes wait for the morning.
QUIET_START, QUIET_END = time(22, 0), time(7, 0)
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
# A row still `sending` this long after its claim was left by a sender that died.
STALE_SENDING = timedelta(minutes=10)
UNCERTAIN = "uncertain: the sender stopped during the send; not resent, kept in the inbox"
CONCURRENCY = 16



def configure(settings: Any) -> None:
    """Quiet hours and the stale-send limit from the `delivery` settings section."""
    global QUIET_START, QUIET_END, STALE_SENDING
    QUIET_START = time.fromisoformat(settings.quiet_start)
    QUIET_END = time.fromisoformat(settings.quiet_end)
    STALE_SENDING = timedelta(minutes=settings.stale_sending_minutes)


Progress = Callable[[int, int, Counter[str]], None]   # (done, total, counts by outcome)


def quiet_until(now: datetime, tz: Any = DEFAULT_TZ) -> datetime | None:
    """The end of the quiet hours `now` falls in (aware UTC), or None outside them
    (always None when QUIET_START == QUIET_END: quiet hours switched off)."""
    if QUIET_START == QUIET_END:
        return None
    local = now.astimezone(tz)
    t = local.timetz().replace(tzinfo=None)
    if QUIET_END <= t < QUIET_START:
        return None
    day = local.date() if t < QUIET_END else local.date() + timedelta(days=1)
    morning = datetime.combine(day, QUIET_END, tzinfo=tz)
    return morning.astimezone(UTC)


def enqueue(session: Session, openid: str, text: str, *, notice_key: str, kind: str = "notice",
            urgent: bool = False, template_data: dict[str, Any] | None = None,
            now: datetime | None = None, tz: Any = DEFAULT_TZ) -> Delivery | None:
    """Record a message for one resident; None when this notice already has a row for them.
    A non-urgent one created in quiet hours is due at the end of them."""
    now = now or utcnow()
    due = now if urgent else (quiet_until(now, tz) or now)
    row = Delivery(notice_key=notice_key[:120], openid=openid, kind=kind, urgent=urgent,
                   body={"text": text, "template_data": template_data or {}},
                   status=PENDING, next_attempt_at=due)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def enqueue_many(session: Session, openids: Iterable[str], text: str, *, notice_key: str,
                 kind: str = "notice", urgent: bool = False,
                 template_data: dict[str, Any] | None = None, now: datetime | None = None,
                 tz: Any = DEFAULT_TZ) -> list[int]:
    """enqueue() for many people in one INSERT (thousands of rows for a bulletin)."""
    now = now or utcnow()
    due = now if urgent else (quiet_until(now, tz) or now)
    key = notice_key[:120]
    have = set(session.scalars(select(Delivery.openid).where(Delivery.notice_key == key)))
    body = {"text": text, "template_data": template_data or {}}
    rows = [dict(notice_key=key, openid=o, kind=kind, urgent=urgent, body=body, status=PENDING,
                 next_attempt_at=due, created_at=now, attempts=0, read=False)
            for o in dict.fromkeys(openids) if o not in have]
    if not rows:
        return []
    session.execute(Delivery.__table__.insert(), rows)
    return list(session.scalars(select(Delivery.id).where(
        Delivery.notice_key == key, Delivery.openid.in_([r["openid"] for r in rows]))
        .order_by(Delivery.id)))


@dataclass(frozen=True)
class _To:
    """Whom a delivery goes to: do they follow their account, and which account is it."""

    followed: bool
    app_id: str | None   # None: the deployment's own account


@dataclass
class _Result:
    """What one attempt came to; written with others in one transaction."""

    id: int
    attempts: int
    status: str
    channel: str | None
    next_attempt_at: datetime
    errcode: int | None = None
    errmsg: str | None = None
    msgid: str | None = None

    @property
    def outcome(self) -> str:
        return "retry" if self.status == PENDING else self.status


class Sender:
    """Sends pending deliveries, many at once; no database session is held over a network call.

    The main thread claims rows in small batches (one conditional UPDATE … RETURNING) to keep
    `workers` threads busy with the network calls, and writes their results in batches. A
    crash leaves at most about 3 × workers rows `sending`; settle_stale() keeps them in the
    inbox rather than risk a second push."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session], api: WeChatApi,
                 workers: int = CONCURRENCY, accounts: Accounts | None = None):
        self.settings = settings
        self.factory = factory
        self.api = api   # the deployment's own account
        # Each resident is pushed to through the account they write through (Resident.app_id).
        self.accounts = accounts or Accounts(settings, factory, api)
        self.workers = workers
        # SQLite has one writer at a time (and BEGIN IMMEDIATE on every transaction); its
        # busy handler sleeps in steps of milliseconds, so threads of one process queue on a
        # lock here instead. PostgreSQL needs none.
        bind = factory.kw.get("bind")
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        self._db_lock: Any = threading.Lock() if sqlite else contextlib.nullcontext()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._db_lock, transaction(self.factory) as s:
            yield s

    @property
    def tz(self) -> Any:
        return self.settings.community.tz

    # Batches ---------------------------------------------------------------------------
    def send_ids(self, ids: Iterable[int], now: datetime | None = None) -> int:
        return self.send_many(ids, now)[SENT]

    def send_one(self, delivery_id: int, now: datetime) -> int:
        return self.send_many([delivery_id], now)[SENT]

    def send_many(self, ids: Iterable[int], now: datetime | None = None,
                  progress: Progress | None = None, workers: int | None = None) -> Counter[str]:
        """Send these deliveries with bounded concurrency; counts by outcome
        (sent / deferred / failed / retry / skipped = not due or taken by another sender)."""
        todo = deque(dict.fromkeys(ids))
        total, now = len(todo), now or utcnow()
        n = max(1, workers or self.workers)
        counts: Counter[str] = Counter()
        inflight: set[Future[_Result]] = set()
        results: list[_Result] = []

        # A few sends (a chat's pushes): each thread writes its own result at once. A
        # fan-out: results are written in batches.
        eager = total <= n

        def flush() -> None:
            if not eager:
                self._record(results, now)
            counts.update(r.outcome for r in results)
            results.clear()
            if progress is not None:
                progress(sum(counts.values()), total, counts)

        with ThreadPoolExecutor(max_workers=n, thread_name_prefix="linli-send") as pool:
            while todo or inflight:
                if todo and len(inflight) < n:
                    batch = [todo.popleft() for _ in range(min(2 * n - len(inflight), len(todo)))]
                    claimed = self._claim(batch, now)
                    counts["skipped"] += len(batch) - len(claimed)
                    work = self._attempt_and_record if eager else self._attempt
                    inflight |= {pool.submit(work, d, to, now) for d, to in claimed}
                    if not inflight:
                        continue
                done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                results.extend(f.result() for f in done)
                if len(results) >= n or not inflight:
                    flush()
        if results:
            flush()
        return counts

    def send_due(self, now: datetime, limit: int = 5000,
                 progress: Progress | None = None) -> int:
        """Send what is due: give up on rows left `sending` by a dead sender, hold
        non-urgent ones in quiet hours, then send the rest."""
        self.settle_stale(now)
        morning = quiet_until(now, self.tz)
        with self._tx() as s:
            if morning is not None:
                s.execute(update(Delivery).where(
                    Delivery.status == PENDING, Delivery.urgent.is_(False),
                    Delivery.next_attempt_at <= now).values(next_attempt_at=morning)
                    .execution_options(synchronize_session=False))
            ids = list(s.scalars(select(Delivery.id).where(
                Delivery.status == PENDING, Delivery.next_attempt_at <= now)
                .order_by(Delivery.id).limit(limit)))
        return self.send_many(ids, now, progress)[SENT]

    def settle_stale(self, now: datetime) -> int:
        """Rows claimed long ago and never finished: the send may or may not have reached
        WeChat, and resending could make it twice; keep them in the inbox instead."""
        with self._tx() as s:
            n = s.execute(update(Delivery).where(
                Delivery.status == SENDING, Delivery.claimed_at < now - STALE_SENDING)
                .values(status=FAILED, errmsg=UNCERTAIN, channel="inbox")
                .execution_options(synchronize_session=False)).rowcount
        if n:
            log.warning("%d deliveries were left sending by a stopped sender; kept in the inbox", n)
        return n

    # Claim, attempt, record --------------------------------------------------------------
    def _claim(self, ids: list[int], now: datetime) -> list[tuple[Delivery, _To]]:
        """Take the due rows among `ids` (pending → sending), with whether each resident
        still follows their account, and which account that is."""
        q = update(Delivery).where(Delivery.id.in_(ids), Delivery.status == PENDING,
                                   Delivery.next_attempt_at <= now)
        if quiet_until(now, self.tz) is not None:
            q = q.where(Delivery.urgent.is_(True))
        with self._tx() as s:
            got = list(s.scalars(q.values(status=SENDING, attempts=Delivery.attempts + 1,
                                          claimed_at=now).returning(Delivery.id)
                                 .execution_options(synchronize_session=False)))
            if not got:
                return []
            rows = s.execute(select(Delivery, Resident.followed, Resident.app_id)
                             .outerjoin(Resident, Resident.openid == Delivery.openid)
                             .where(Delivery.id.in_(got)).order_by(Delivery.id)).all()
            return [(d, _To(bool(followed), app_id)) for d, followed, app_id in rows]

    def _attempt_and_record(self, d: Delivery, to: _To, now: datetime) -> _Result:
        result = self._attempt(d, to, now)
        self._record([result], now)
        return result

    def _attempt(self, d: Delivery, to: _To, now: datetime) -> _Result:
        try:
            return self._channels(d, to, now)
        except Exception:  # noqa: BLE001 - one bad row must not stop a fan-out
            log.exception("delivery %s: unexpected error; retried later", d.id)
            return _Result(d.id, d.attempts, PENDING, None, now + BACKOFF[0], None, "error")

    def _channels(self, d: Delivery, to: _To, now: datetime) -> _Result:
        if d.read:  # the resident already read it with 通知: nothing to push
            return _Result(d.id, d.attempts, SENT, "inbox", d.next_attempt_at)
        errcode: int | None = None
        errmsg: str | None = None
        api = self.accounts.get(to.app_id)
        if api is None:
            return _Result(d.id, d.attempts, DEFERRED, "inbox", d.next_attempt_at, None,
                           f"account {to.app_id} is no longer configured; kept in the inbox")
        for channel in self.settings.wechat.channels if to.followed else ():
            if channel == "inbox":
                break
            reserved = False
            try:
                if channel == "template":
                    template_id = api.templates.get(d.kind)   # the account's own templates
                    if not template_id:
                        continue
                    res = api.send_template(d.openid, template_id, _template_data(d),
                                            d.body.get("url", ""))
                    return _Result(d.id, d.attempts, SENT, channel, d.next_attempt_at,
                                   msgid=str(res.get("msgid") or "") or None)
                if channel == "customer":
                    if not self._reserve_allowance(d.openid, now):
                        continue
                    reserved = True
                    api.send_custom(d.openid, _custom_body(d))
                    return _Result(d.id, d.attempts, SENT, channel, d.next_attempt_at)
            except WeChatApiError as exc:
                if exc.transient:
                    if reserved:
                        self._refund_allowance(d.openid)
                    final = d.attempts >= len(BACKOFF)
                    return _Result(d.id, d.attempts, FAILED if final else PENDING,
                                   "inbox" if final else channel,
                                   now + BACKOFF[min(d.attempts - 1, len(BACKOFF) - 1)],
                                   exc.errcode, exc.errmsg[:500])
                log.info("delivery %s via %s refused: %s", d.id, channel, exc)
                errcode, errmsg = exc.errcode, exc.errmsg[:500]
                if exc.errcode in (OUT_OF_WINDOW, OVER_COUNT):
                    self._close_window(d.openid)
        return _Result(d.id, d.attempts, DEFERRED, "inbox", d.next_attempt_at, errcode, errmsg)

    def _record(self, results: list[_Result], now: datetime) -> None:
        """Write results, each conditional on its attempt (a row settled as uncertain
        meanwhile is corrected by the real outcome)."""
        if not results:
            return
        t = Delivery.__table__
        stmt = t.update().where(t.c.id == bindparam("b_id"), t.c.attempts == bindparam("b_att")) \
            .values(status=bindparam("b_status"), channel=bindparam("b_channel"),
                    errcode=bindparam("b_errcode"), errmsg=bindparam("b_errmsg"),
                    msgid=bindparam("b_msgid"), sent_at=bindparam("b_sent"),
                    next_attempt_at=bindparam("b_next"), claimed_at=None)
        params = [{"b_id": r.id, "b_att": r.attempts, "b_status": r.status,
                   "b_channel": r.channel, "b_errcode": r.errcode, "b_errmsg": r.errmsg,
                   "b_msgid": r.msgid, "b_next": r.next_attempt_at,
                   "b_sent": now if r.status == SENT else None} for r in results]
        with self._tx() as s:
            s.connection().execute(stmt, params)

    def mass_send(self, openids: list[str], text: str) -> dict[str, Any]:
        """A mass message through the account these people write through. Openids of several
        accounts are refused (each account must send its own, and a partial success would
        be pushed again by the ordinary channels); the caller then uses those channels."""
        with self.factory() as s:
            app_ids = set(s.scalars(select(Resident.app_id).where(Resident.openid.in_(openids))))
        api = self.accounts.get(next(iter(app_ids), None)) if len(app_ids) <= 1 else None
        if api is None:
            raise WeChatApiError(None, "a mass send covers one account's followers only",
                                 transient=False)
        return api.mass_send(openids, text)

    def _reserve_allowance(self, openid: str, now: datetime) -> bool:
        """Take one of the 5 customer-service messages the resident's last message allows."""
        with self._tx() as s:
            return bool(s.execute(update(Resident).where(
                Resident.openid == openid, Resident.cs_allowance > 0,
                Resident.last_inbound_at > now - WINDOW)
                .values(cs_allowance=Resident.cs_allowance - 1)
                .execution_options(synchronize_session=False)).rowcount)

    def _refund_allowance(self, openid: str) -> None:
        with self._tx() as s:
            s.execute(update(Resident).where(Resident.openid == openid)
                      .values(cs_allowance=Resident.cs_allowance + 1)
                      .execution_options(synchronize_session=False))

    def _close_window(self, openid: str) -> None:
        with self._tx() as s:
            s.execute(update(Resident).where(Resident.openid == openid).values(cs_allowance=0)
                      .execution_options(synchronize_session=False))


def _custom_body(d: Delivery) -> dict[str, Any]:
    if d.body.get("custom"):
        return dict(d.body["custom"])
    return {"msgtype": "text", "text": {"content": d.body.get("text", "")}}


def _template_data(d: Delivery) -> dict[str, Any]:
    data = d.body.get("template_data") or {}
    if data:
        return data
    return {"first": {"value": d.body.get("text", "")[:200]}}
