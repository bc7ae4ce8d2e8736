"""The delivery engine over real HTTP against the stand-in WeChat API: channel choice,
WeChat's limits, retries, the bounded token refresh, receipts, rows left by a crash."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from models.db import transaction
from models.delivery import DEFERRED, FAILED, PENDING, SENDING, SENT, Delivery
from models.resident import Resident
from notices import deliver
from tests import factories as f
from tests.bulletins.helpers import counts, faults, next_local, pushes, say
from tests.wechat_side import WeChatSide

TEMPLATES = {"templates": {"bulletin": "TPL1"}}


def setup(srv: Any, *openids: str, wrote: bool = True) -> Any:
    linli = srv.app.extensions["linli"]
    with transaction(linli.factory) as s:
        for i, openid in enumerate(openids):
            f.resident(s, openid, f.household(s, room=str(301 + i)))
    if wrote:
        for openid in openids:
            say(srv.app, openid, "你好")
    return linli


def queue(linli: Any, openid: str, key: str, kind: str = "bulletin", now: Any = None) -> int:
    with transaction(linli.factory) as s:
        row = deliver.enqueue(s, openid, f"通知 {key}", notice_key=key, kind=kind, urgent=True,
                              now=now)
        assert row is not None
        return row.id


def row(linli: Any, delivery_id: int) -> Delivery:
    with linli.factory() as s:
        d = s.get(Delivery, delivery_id)
        assert d is not None
        return d


def allowance(linli: Any, openid: str) -> int:
    with linli.factory() as s:
        return s.scalar(select(Resident.cs_allowance).where(Resident.openid == openid)) or 0


def test_template_channel_when_a_template_is_configured_even_outside_the_window(live: Any) -> None:
    srv = live(wechat=TEMPLATES)
    linli = setup(srv, "o-t", wrote=False)
    d = queue(linli, "o-t", "bulletin:9")
    other = queue(linli, "o-t", "ticket:1:accepted", kind="ticket")   # no template for this kind
    assert linli.sender.send_ids([d, other]) == 1
    sent = row(linli, d)
    assert (sent.status, sent.channel) == (SENT, "template") and sent.msgid
    assert pushes(srv.app, "o-t")[0].body["template_id"] == "TPL1"
    assert (row(linli, other).status, row(linli, other).channel) == (DEFERRED, "inbox")


def test_customer_message_inside_the_window_uses_the_allowance(live: Any) -> None:
    srv = live()            # empty templates mapping: no template channel
    linli = setup(srv, "o-c")
    assert allowance(linli, "o-c") == 5
    ids = [queue(linli, "o-c", f"n:{i}") for i in range(6)]
    assert linli.sender.send_ids(ids) == 5
    statuses = [row(linli, i).status for i in ids]
    assert statuses.count(SENT) == 5 and statuses.count(DEFERRED) == 1
    assert allowance(linli, "o-c") == 0
    assert len(pushes(srv.app, "o-c")) == 5 and counts(srv)["custom"] == 5
    assert "您有 1 条未读通知" in say(srv.app, "o-c", "你好")
    assert allowance(linli, "o-c") == 5      # a new message opens a new allowance


def test_over_count_45047_goes_to_the_inbox_and_closes_the_allowance(live: Any) -> None:
    srv = live()
    linli = setup(srv, "o-47")
    faults(srv, queue=[{"errcode": 45047, "only": "custom"}])
    d = row(linli, queue(linli, "o-47", "n:1")).id
    linli.sender.send_ids([d])
    got = row(linli, d)
    assert (got.status, got.channel, got.errcode) == (DEFERRED, "inbox", 45047)
    assert allowance(linli, "o-47") == 0
    assert pushes(srv.app, "o-47") == []


def test_out_of_window_45015_from_wechat_goes_to_the_inbox(live: Any) -> None:
    srv = live()
    linli = setup(srv, "o-15", wrote=False)
    # We believe the window is open (say, another worker saw a message), WeChat says not.
    with transaction(linli.factory) as s:
        s.execute(update(Resident).where(Resident.openid == "o-15")
                  .values(last_inbound_at=next_local(10) - timedelta(days=1), cs_allowance=5))
    d = queue(linli, "o-15", "n:1")
    linli.sender.send_ids([d])
    got = row(linli, d)
    assert (got.status, got.errcode) == (DEFERRED, 45015)
    assert allowance(linli, "o-15") == 0
    reply = WeChatSide(srv.app).say("o-15", "通知")
    assert "您有 1 条未读通知" in reply and "通知 n:1" in reply


def test_a_5xx_is_retried_later_and_sent_once(live: Any) -> None:
    srv = live()
    linli = setup(srv, "o-5xx")
    faults(srv, queue=[{"http": 502, "only": "custom"}])
    d = queue(linli, "o-5xx", "n:1")
    clock = row(linli, d).next_attempt_at
    assert linli.sender.send_ids([d], clock) == 0
    waiting = row(linli, d)
    assert (waiting.status, waiting.attempts) == (PENDING, 1)
    assert waiting.next_attempt_at == clock + deliver.BACKOFF[0]
    assert linli.sender.send_due(clock + timedelta(seconds=5)) == 0        # not yet
    assert linli.sender.send_due(clock + deliver.BACKOFF[0]) == 1
    assert linli.sender.send_due(clock + timedelta(hours=1)) == 0          # never twice
    assert row(linli, d).status == SENT and len(pushes(srv.app, "o-5xx")) == 1
    assert allowance(linli, "o-5xx") == 4                # the failed try gave its message back


def test_transient_errors_give_up_after_the_backoff_into_the_inbox(live: Any) -> None:
    srv = live()
    linli = setup(srv, "o-busy")
    faults(srv, always={"errcode": 45009, "only": "custom"})
    d = queue(linli, "o-busy", "n:1")
    clock = row(linli, d).next_attempt_at
    for _ in range(len(deliver.BACKOFF)):
        linli.sender.send_ids([d], clock)
        clock = row(linli, d).next_attempt_at
    got = row(linli, d)
    assert (got.status, got.errcode, got.attempts) == (FAILED, 45009, len(deliver.BACKOFF))
    faults(srv, always={})
    assert "您有 1 条未读通知" in say(srv.app, "o-busy", "你好")


def test_a_token_rejected_forever_is_refreshed_a_bounded_number_of_times(live: Any) -> None:
    srv = live()
    linli = setup(srv, "o-tok")
    linli.api.tokens.get()
    faults(srv, always={"errcode": 40001, "only": "custom"})
    d = queue(linli, "o-tok", "n:1")
    linli.sender.send_ids([d])
    limit = linli.settings.wechat.token_retry_limit
    assert counts(srv)["token"] == 1 + limit and counts(srv)["custom"] == 1 + limit
    got = row(linli, d)
    assert (got.status, got.errcode) == (DEFERRED, 40001)


def test_template_receipts_update_the_delivery(live: Any) -> None:
    srv = live(wechat=TEMPLATES)
    linli = setup(srv, "o-r1", "o-r2", wrote=False)
    a, b = queue(linli, "o-r1", "bulletin:1"), queue(linli, "o-r2", "bulletin:1")
    linli.sender.send_ids([a, b])
    side = WeChatSide(srv.app)
    side.event("o-r1", "TEMPLATESENDJOBFINISH", MsgID=row(linli, a).msgid, Status="success")
    side.event("o-r2", "TEMPLATESENDJOBFINISH", MsgID=row(linli, b).msgid,
               Status="failed:user block")
    assert row(linli, a).status == SENT
    failed = row(linli, b)
    assert (failed.status, failed.errmsg) == (FAILED, "failed:user block")
    assert "您有 1 条未读通知" in side.say("o-r2", "你好")
    assert "未读通知" not in side.say("o-r1", "你好")


def test_a_row_left_sending_by_a_dead_sender_is_not_resent_but_kept_in_the_inbox(live: Any) -> None:
    srv = live()
    linli = setup(srv, "o-dead")
    d = queue(linli, "o-dead", "n:1")
    clock = row(linli, d).next_attempt_at
    with transaction(linli.factory) as s:   # claimed, then the process died
        s.execute(update(Delivery).where(Delivery.id == d).values(
            status=SENDING, attempts=1, claimed_at=clock))
    assert linli.sender.send_due(clock + timedelta(minutes=1)) == 0
    assert row(linli, d).status == SENDING                                 # may still be running
    linli.sender.send_due(clock + deliver.STALE_SENDING + timedelta(seconds=1))
    got = row(linli, d)
    assert (got.status, got.errmsg) == (FAILED, deliver.UNCERTAIN)
    assert pushes(srv.app, "o-dead") == []
    assert "通知 n:1" in say(srv.app, "o-dead", "通知")


def test_two_processes_sending_the_same_rows_send_each_once(live: Any, make_app: Any) -> None:
    srv = live(wechat=TEMPLATES)
    openids = [f"o-two-{i:02d}" for i in range(40)]
    linli = setup(srv, *openids, wrote=False)
    other = make_app(wechat={**TEMPLATES, "api_base_url": srv.url + "/sandbox/api/"})
    ids = [queue(linli, o, "bulletin:7") for o in openids]
    faults(srv, latency_ms=20)
    results: list[Any] = [None, None]

    def run(i: int, sender: Any) -> None:
        results[i] = sender.send_many(ids)

    threads = [threading.Thread(target=run, args=(i, app.extensions["linli"].sender))
               for i, app in enumerate((srv.app, other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0]["sent"] + results[1]["sent"] == 40
    assert results[0]["skipped"] + results[1]["skipped"] == 40
    per_openid = {p.openid: 0 for p in pushes(srv.app)}
    for p in pushes(srv.app):
        per_openid[p.openid] += 1
    assert per_openid == {o: 1 for o in openids}
