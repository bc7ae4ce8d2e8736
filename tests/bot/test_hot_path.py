"""The per-message hot path: plain statements on the driver (models/fastpath.py), the
dialog keep-alive step, the reply-thread hand-off, and no cookie session on /wechat."""
from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import dialog as dialogs
from bot.handoff import Handoff, Late
from models import fastpath
from models.base import utcnow
from models.db import transaction
from models.resident import Resident
from models.wechat import DialogState, InboundMessage
from tests.wechat_side import WeChatSide

T0 = datetime(2026, 11, 27, 2, 30, 15, 123456, tzinfo=UTC)


def test_a_resident_read_by_the_fast_path_equals_the_orm_and_its_changes_are_saved(app: Any) -> None:
    factory = app.extensions["linli"].factory
    with transaction(factory) as s:
        s.add(Resident(openid="o-fast", followed=True, followed_at=T0, last_inbound_at=T0,
                       cs_allowance=3, name="张伟", status="unbound", stairwell_head=True))
    with transaction(factory) as s:
        fast = fastpath.for_session(s)
        values, stored = fast.load(s, "o-fast")
        assert stored is None
        resident = fast.resident(s, values)
        assert s.get(Resident, resident.id) is resident   # persistent: no second object
        assert (resident.followed_at, resident.last_inbound_at) == (T0, T0)
        assert resident.followed is True and resident.stairwell_head is True
        assert resident.unfollowed_at is None and resident.name == "张伟"
        assert not s.dirty
        resident.cs_allowance = 5
    with factory() as s:
        again = s.scalars(select(Resident).where(Resident.openid == "o-fast")).one()
        assert again.cs_allowance == 5 and again.followed_at == T0


def test_dialog_written_by_the_fast_path_reads_back_through_the_orm(app: Any) -> None:
    factory = app.extensions["linli"].factory
    timeout = timedelta(minutes=10)
    with transaction(factory) as s:
        d = dialogs.load(s, "o-dlg", T0)
        d.set("complaint.confirm", text="楼道灯坏了", n=2)
        dialogs.save(s, d, T0, timeout)
    with factory() as s:
        row = s.get(DialogState, "o-dlg")
        assert row is not None
        assert (row.state, row.data, row.expires_at) == ("complaint.confirm",
                                                         {"text": "楼道灯坏了", "n": 2}, T0 + timeout)
    with transaction(factory) as s:
        d = dialogs.load(s, "o-dlg", T0 + timedelta(minutes=11))   # past its expiry
        assert d.state is None and d.timed_out == "complaint.confirm"
    with factory() as s:
        assert s.get(DialogState, "o-dlg") is None


def test_keeping_a_dialog_alive_writes_at_most_once_a_minute(app: Any) -> None:
    factory = app.extensions["linli"].factory
    timeout = timedelta(minutes=10)
    with transaction(factory) as s:
        d = dialogs.load(s, "o-keep", T0)
        d.set("vote.cast", vote_id=1)
        dialogs.save(s, d, T0, timeout)

    def touch(at: datetime) -> datetime:
        with transaction(factory) as s:
            dialogs.save(s, dialogs.load(s, "o-keep", at), at, timeout)
        with factory() as s:
            return s.get(DialogState, "o-keep").expires_at  # type: ignore[union-attr]

    assert touch(T0 + timedelta(seconds=30)) == T0 + timeout                          # skipped
    assert touch(T0 + timedelta(seconds=61)) == T0 + timedelta(seconds=61) + timeout  # written


def test_the_message_record_keeps_the_reply_for_a_retry(app: Any) -> None:
    side = WeChatSide(app)
    fields = side.fields("o-rec", "text", Content="帮助", MsgId=424242)
    first = side.reply_of(side.post(fields))
    with app.extensions["linli"].factory() as s:
        row = s.scalars(select(InboundMessage).where(InboundMessage.openid == "o-rec")).one()
    assert row.dedup_key == "m:424242" and row.intent == "help" and row.deferred is False
    assert row.reply is not None and row.reply["text"] == first["Content"]  # type: ignore[index]
    assert abs(row.received_at - utcnow()) < timedelta(minutes=1)
    assert side.reply_of(side.post(fields)) == first


def test_the_webhook_sets_no_cookie(app: Any) -> None:
    side = WeChatSide(app)
    res = side.post(side.fields("o-cookie", "text", Content="你好"))
    assert res.status_code == 200
    assert "Set-Cookie" not in res.headers


# The hand-off ------------------------------------------------------------------------------
def test_handoff_returns_the_result_or_raises_the_error_of_the_work() -> None:
    h = Handoff(2)
    assert h.run(lambda a, b: a + b, 2, 3, timeout=2) == 5
    with pytest.raises(ZeroDivisionError):
        h.run(lambda: 1 / 0, timeout=2)
    h.shutdown()


def test_handoff_gives_up_waiting_at_the_budget_and_the_work_still_finishes() -> None:
    h = Handoff(1)
    done = threading.Event()

    def slow() -> str:
        time.sleep(0.3)
        done.set()
        return "late"

    with pytest.raises(Late):
        h.run(slow, timeout=0.05)
    assert done.wait(2)
    assert h.run(lambda: "next", timeout=2) == "next"   # the thread is free again
    h.shutdown()


def test_handoff_runs_work_side_by_side_up_to_its_threads() -> None:
    h = Handoff(3)
    barrier = threading.Barrier(3, timeout=2)   # breaks unless three run at once
    results: list[int] = []

    def call(i: int) -> None:
        results.append(h.run(lambda: (barrier.wait(), i)[1], timeout=3))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1, 2]
    h.shutdown()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_working_reply_threads() -> None:
    h = Handoff(2)
    assert h.run(lambda: 1, timeout=2) == 1     # threads started in the parent
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's threads do not exist here
        try:
            ok = h.run(lambda: 41 + 1, timeout=2) == 42
        except BaseException:  # noqa: BLE001
            ok = False
        os.write(w, b"1" if ok else b"0")
        os._exit(0)
    os.close(w)
    answer = os.read(r, 1)
    os.waitpid(pid, 0)
    assert answer == b"1"
    h.shutdown()
