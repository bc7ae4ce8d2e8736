"""Retries, concurrent duplicates across workers, and the reply time budget."""
from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import func, select

from bot.context import Context
from bot.inbound import Inbound
from bot.reply import Reply
from models.delivery import Delivery
from models.sandbox import SandboxMessage
from models.wechat import InboundMessage
from tests.wechat_side import WeChatSide


def count(app: Any, model: Any) -> int:
    with app.extensions["linli"].factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def slow_side_effect(app: Any, seconds: float) -> None:
    """Make 帮助 slow and give it a side effect (a push), as a real handler might have."""
    d = app.extensions["linli"].dispatcher

    @d.intent("help")
    def slow(ctx: Context, inbound: Inbound) -> Reply:
        ctx.push("o-staff", f"有人求助：{ctx.openid}", notice_key=f"help:{inbound.dedup_key}")
        time.sleep(seconds)
        return Reply("慢慢的帮助")


def test_concurrent_copies_on_two_workers_have_one_effect_and_one_reply(make_app: Any) -> None:
    # Two app instances on one database stand for two worker processes.
    a, b = make_app(), make_app()
    for app in (a, b):
        slow_side_effect(app, 0.5)
    side_a, side_b = WeChatSide(a), WeChatSide(b)
    fields = side_a.fields("o-dup", "text", Content="帮助", MsgId=987654321)
    replies: list[Any] = [None, None]

    def post(i: int, side: WeChatSide) -> None:
        replies[i] = side.reply_of(side.post(fields))

    threads = [threading.Thread(target=post, args=(i, s)) for i, s in enumerate((side_a, side_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert count(a, InboundMessage) == 1
    assert count(a, Delivery) == 1
    assert replies[0] is not None and replies[1] is not None
    assert replies[0]["Content"] == replies[1]["Content"] == "慢慢的帮助"


def test_past_the_budget_the_webhook_says_success_and_replies_by_customer_message(live: Any) -> None:
    srv = live(server={"reply_budget_seconds": 0.3})
    slow_side_effect(srv.app, 1.0)
    side = WeChatSide(srv.app)
    fields = side.fields("o-slow", "text", Content="帮助")
    started = time.monotonic()
    res = side.post(fields)
    assert time.monotonic() - started < 0.9
    assert res.data == b"success"
    # WeChat retries after 5 s; by then the reply has gone as a customer-service message.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with srv.app.extensions["linli"].factory() as s:
            sent = list(s.scalars(select(SandboxMessage).where(
                SandboxMessage.openid == "o-slow", SandboxMessage.direction == "push")))
        if sent:
            break
        time.sleep(0.1)
    assert [m.body["text"]["content"] for m in sent] == ["慢慢的帮助"]
    assert side.post(fields).data == b"success"  # the retry does not answer twice
    srv.app.extensions["linli"].service.wait_idle()
    with srv.app.extensions["linli"].factory() as s:
        assert len(list(s.scalars(select(SandboxMessage).where(
            SandboxMessage.openid == "o-slow", SandboxMessage.direction == "push")))) == 1


def test_a_handler_crash_gives_a_polite_reply_not_a_500(app: Any) -> None:
    d = app.extensions["linli"].dispatcher

    @d.intent("help")
    def broken(ctx: Context, inbound: Inbound) -> Reply:
        raise RuntimeError("bug")

    side = WeChatSide(app)
    res = side.post(side.fields("o-crash", "text", Content="帮助"))
    assert res.status_code == 200
    reply = side.reply_of(res)
    assert reply is not None and "稍后" in reply["Content"]
    assert "Traceback" not in reply["Content"] and "bug" not in reply["Content"]


def test_a_worker_forked_after_messages_were_handled_still_answers(app: Any) -> None:
    """gunicorn forks workers from a master that built the app; the reply threads of the
    parent do not exist in the child, so the child must start its own."""
    import os

    side = WeChatSide(app)
    assert side.say("o-parent", "帮助")          # the parent's pool now has an idle thread
    service = app.extensions["linli"].service
    pid = os.fork()
    if pid == 0:  # the "worker": answer one message within the budget, report by exit code
        code = 1
        try:
            outcome = service.handle(Inbound(openid="o-child", to="gh", msg_type="text", text="帮助",
                                             msg_id="424242", create_time=1764200000))
            code = 0 if outcome.reply is not None and not outcome.deferred else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise AssertionError("the forked worker did not finish")
    assert os.waitstatus_to_exitcode(status) == 0
