"""Short-lived state shared through Redis by two workers (two apps on one database and
one Redis): the access token, dialog state, and message claims with stored replies; and
the same behaviour through the database when Redis is unreachable."""
from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import event, func, select, update

from bot.context import Context
from bot.inbound import Inbound
from bot.reply import Reply
from models.delivery import Delivery
from models.resident import Resident
from models.wechat import AccessToken, DialogState, InboundMessage
from tests.bot.test_transcripts import register_irreversible
from tests.conftest import new_redis_prefix
from tests.wechat_side import Transcript, WeChatSide

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_cfg() -> dict[str, str]:
    """Redis for every app of the test (on SQLite too), under the test's own prefix."""
    return {"url": REDIS_URL, "prefix": new_redis_prefix()}


def linli(app: Any) -> Any:
    return app.extensions["linli"]


def rget(app: Any, name: str) -> Any:
    raw = linli(app).extra["redis"].get(linli(app).settings.redis.prefix + name)
    return None if raw is None else json.loads(raw)


def stored_replies(app: Any) -> list[Any]:
    client, prefix = linli(app).extra["redis"], linli(app).settings.redis.prefix
    return [json.loads(client.get(k)) for k in client.scan_iter(match=prefix + "msg:*")]


def count(app: Any, model: Any) -> int:
    with linli(app).factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def stand_in_counts(srv: Any) -> dict[str, int]:
    return requests.get(srv.url + "/sandbox/api/_faults", timeout=5).json()["counts"]


def inject(srv: Any, **faults: Any) -> None:
    requests.post(srv.url + "/sandbox/api/_faults", json=faults, timeout=5)


@contextmanager
def statements(app: Any) -> Iterator[list[str]]:
    """Every SQL statement the app sends to its database while inside the block."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql)

    engine = linli(app).engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def slow_help_with_a_push(app: Any, seconds: float) -> None:
    """帮助 becomes slow and has a side effect (a push), as a real handler might."""
    @linli(app).dispatcher.intent("help")
    def slow(ctx: Context, inbound: Inbound) -> Reply:
        ctx.push("o-staff", f"有人求助：{ctx.openid}", notice_key=f"help:{inbound.dedup_key}")
        time.sleep(seconds)
        return Reply("慢慢的帮助")


def post_at_once(sides: list[WeChatSide], fields: dict[str, Any]) -> list[Any]:
    replies: list[Any] = [None] * len(sides)

    def post(i: int) -> None:
        replies[i] = sides[i].reply_of(sides[i].post(fields))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(sides))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return replies


# The access token ---------------------------------------------------------------------
def two_api_workers(live: Any, make_app: Any, redis: dict[str, str]) -> tuple[Any, Any, Any]:
    """A live app whose stand-in is the WeChat API of both workers, and a second worker."""
    srv = live(redis=redis)
    other = make_app(redis=redis, wechat={"api_base_url": srv.url + "/sandbox/api/"})
    WeChatSide(srv.app).say("o-tok", "你好")  # opens the customer-service window
    return srv, srv.app, other


def test_one_token_fetch_serves_both_workers_from_redis(live: Any, make_app: Any,
                                                        redis_cfg: dict[str, str]) -> None:
    srv, a, b = two_api_workers(live, make_app, redis_cfg)
    app_id = linli(a).settings.wechat.app_id
    linli(a).api.send_custom("o-tok", {"msgtype": "text", "text": {"content": "一"}})
    token = rget(a, f"token:{app_id}")["token"]
    # Blank the database row: worker B can only have the token from Redis.
    with linli(a).factory.begin() as s:
        s.execute(update(AccessToken).values(token="", expires_at=None))
    linli(b).api.send_custom("o-tok", {"msgtype": "text", "text": {"content": "二"}})
    assert linli(b).api.tokens.get() == token
    assert stand_in_counts(srv)["token"] == 1
    assert stand_in_counts(srv)["custom"] == 2
    with linli(a).factory() as s:   # the row still counts the fetch for operators
        row = s.get(AccessToken, app_id)
        assert row is not None and row.fetch_count == 1 and row.fetched_at is not None
    assert a.test_client().get("/healthz").json["wechat_token"]["age_seconds"] is not None


def test_a_rejected_token_is_replaced_once_for_both_workers(live: Any, make_app: Any,
                                                            redis_cfg: dict[str, str]) -> None:
    srv, a, b = two_api_workers(live, make_app, redis_cfg)
    app_id = linli(a).settings.wechat.app_id
    old = linli(a).api.tokens.get()
    assert linli(b).api.tokens.get() == old
    # Both workers' next calls are refused with 40001, at once.
    inject(srv, queue=[{"errcode": 40001, "only": "custom"}] * 2)
    errors: list[Exception] = []

    def send(app: Any, text: str) -> None:
        try:
            linli(app).api.send_custom("o-tok", {"msgtype": "text", "text": {"content": text}})
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(app, t)) for app, t in ((a, "甲"), (b, "乙"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert stand_in_counts(srv)["token"] == 2          # the first fetch and one replacement
    new = rget(a, f"token:{app_id}")["token"]
    assert new != old and linli(a).api.tokens.get() == linli(b).api.tokens.get() == new
    with linli(a).factory() as s:
        assert s.get(AccessToken, app_id).fetch_count == 2  # type: ignore[union-attr]


# Dialog state -------------------------------------------------------------------------
def test_a_dialog_begun_on_one_worker_continues_on_the_other_and_times_out(
        make_app: Any, redis_cfg: dict[str, str]) -> None:
    a, b = make_app(redis=redis_cfg), make_app(redis=redis_cfg)
    done_a, done_b = register_irreversible(a), register_irreversible(b)
    on_a, on_b = Transcript(WeChatSide(a), "o-walk"), Transcript(WeChatSide(b), "o-walk")
    on_a.run([("周三的会我去不了了", "回复 1 确认")])
    assert rget(a, "dialog:o-walk")["state"] == "confirm"
    assert count(a, DialogState) == 0                  # in Redis, not in the table
    on_b.run([("1", "已取消报名")])
    assert (done_a, done_b) == ([], ["o-walk"])
    assert rget(a, "dialog:o-walk") is None

    on_b.run([("周三的会我去不了了", "回复 1 确认")])
    real = linli(a).service.clock
    linli(a).service.clock = lambda: real() + timedelta(minutes=11)
    on_a.run([("1", ["超时", "!已取消报名"])])
    assert done_a == [] and done_b == ["o-walk"]


def test_a_message_that_fails_leaves_the_dialog_as_it_was(make_app: Any,
                                                          redis_cfg: dict[str, str]) -> None:
    a, b = make_app(redis=redis_cfg), make_app(redis=redis_cfg)
    done = register_irreversible(a)
    register_irreversible(b)

    def conflicting(ctx: Context, reply: Reply) -> Reply:
        # Worker B's transaction fails when it flushes, after the dialog was saved: a
        # second resident with the same openid.
        ctx.session.add(Resident(openid=ctx.openid))
        return reply

    linli(b).dispatcher.reply_hooks.append(conflicting)
    Transcript(WeChatSide(a), "o-fail").run([("周三的会我去不了了", "回复 1 确认")])
    Transcript(WeChatSide(b), "o-fail").run([("1", "稍后")])       # rolled back
    assert rget(a, "dialog:o-fail")["state"] == "confirm"
    Transcript(WeChatSide(a), "o-fail").run([("1", "已取消报名")])
    assert done == ["o-fail"]


# Message claims -----------------------------------------------------------------------
def api_and_workers(live: Any, make_app: Any, redis: dict[str, str]) -> tuple[Any, Any]:
    """Two workers without the sandbox (so they record nothing themselves), pushing to a
    third app's stand-in WeChat API."""
    srv = live(redis=redis)
    cfg = {"redis": redis, "sandbox": {"enabled": False},
           "wechat": {"api_base_url": srv.url + "/sandbox/api/"}}
    return make_app(**cfg), make_app(**cfg)


def test_copies_at_both_workers_have_one_effect_and_one_reply(live: Any, make_app: Any,
                                                              redis_cfg: dict[str, str]) -> None:
    a, b = api_and_workers(live, make_app, redis_cfg)
    for app in (a, b):
        slow_help_with_a_push(app, 0.5)
    sides = [WeChatSide(a), WeChatSide(b)]
    fields = sides[0].fields("o-dup", "text", Content="帮助", MsgId=987654321)
    with statements(a) as on_a, statements(b) as on_b:
        replies = post_at_once(sides, fields)
    assert [r["Content"] for r in replies] == ["慢慢的帮助", "慢慢的帮助"]
    assert count(a, InboundMessage) == 1 and count(a, Delivery) == 1
    # The copy waited for the first worker's reply in Redis and never queried the database.
    assert min(len(on_a), len(on_b)) == 0 < max(len(on_a), len(on_b))
    assert [v["reply"]["text"] for v in stored_replies(a)] == ["慢慢的帮助"]


def test_a_retry_of_a_finished_message_is_answered_from_redis(live: Any, make_app: Any,
                                                              redis_cfg: dict[str, str]) -> None:
    a, b = api_and_workers(live, make_app, redis_cfg)
    side_a, side_b = WeChatSide(a), WeChatSide(b)
    fields = side_a.fields("o-retry", "text", Content="你好")
    first = side_a.reply_of(side_a.post(fields))
    with statements(b) as seen:
        again = side_b.reply_of(side_b.post(fields))
    assert first is not None and again is not None
    assert again["Content"] == first["Content"] and "您好" in first["Content"]
    assert seen == []   # not one statement: the reply came from Redis
    assert count(a, InboundMessage) == 1


def test_a_copy_handles_the_message_itself_when_the_first_worker_fails(
        make_app: Any, redis_cfg: dict[str, str]) -> None:
    a, b = make_app(redis=redis_cfg), make_app(redis=redis_cfg)

    claimed = threading.Event()

    @linli(a).dispatcher.intent("help")
    def crash_late(ctx: Context, inbound: Inbound) -> Reply:
        claimed.set()      # worker A claimed the message before its handler ran
        time.sleep(0.4)
        raise RuntimeError("bug")

    slow_help_with_a_push(b, 0.0)
    side_a, side_b = WeChatSide(a), WeChatSide(b)
    fields = side_a.fields("o-lost", "text", Content="帮助")
    replies: list[Any] = [None, None]
    first = threading.Thread(target=lambda: replies.__setitem__(0, side_a.reply_of(side_a.post(fields))))
    first.start()
    assert claimed.wait(10)   # worker A holds the claim when the copy reaches worker B
    replies[1] = side_b.reply_of(side_b.post(fields))
    first.join(timeout=30)
    assert "稍后" in replies[0]["Content"]
    assert replies[1]["Content"] == "慢慢的帮助"   # the message is not lost
    assert count(a, InboundMessage) == 1 and count(a, Delivery) == 1


# Redis unreachable ---------------------------------------------------------------------
def test_with_redis_unreachable_everything_works_through_the_database(live: Any, make_app: Any) -> None:
    dead = {"url": DEAD_REDIS, "prefix": new_redis_prefix()}
    srv = live(redis=dead)
    a = srv.app
    b = make_app(redis=dead, wechat={"api_base_url": srv.url + "/sandbox/api/"})
    assert a.test_client().get("/healthz").json["redis"].startswith("error")
    # A dialog across workers, in the table.
    register_irreversible(a)
    done = register_irreversible(b)
    Transcript(WeChatSide(a), "o-db").run([("周三的会我去不了了", "回复 1 确认")])
    assert count(a, DialogState) == 1
    Transcript(WeChatSide(b), "o-db").run([("1", "已取消报名")])
    assert done == ["o-db"]
    # Copies at both workers: one effect, the same reply; a retry gets it again.
    for app in (a, b):
        slow_help_with_a_push(app, 0.3)
    sides = [WeChatSide(a), WeChatSide(b)]
    fields = sides[0].fields("o-db", "text", Content="帮助")
    replies = post_at_once(sides, fields)
    assert [r["Content"] for r in replies] == ["慢慢的帮助", "慢慢的帮助"]
    assert sides[1].reply_of(sides[1].post(fields))["Content"] == "慢慢的帮助"
    assert count(a, Delivery) == 1
    # One token for both workers, through the database row.
    for app in (a, b):
        linli(app).api.send_custom("o-db", {"msgtype": "text", "text": {"content": "到"}})
    assert stand_in_counts(srv)["token"] == 1


def test_a_dialog_saved_in_the_table_while_redis_was_down_wins_over_the_older_copy_in_redis(
        make_app: Any, redis_cfg: dict[str, str]) -> None:
    a = make_app(redis=redis_cfg)
    done = register_irreversible(a)
    walk = Transcript(WeChatSide(a), "o-back")
    walk.run([("周三的会我去不了了", "回复 1 确认")])            # in Redis: confirm
    assert rget(a, "dialog:o-back")["state"] == "confirm"
    service = linli(a).service
    service.dialogs.link.down("a test outage", RuntimeError("down"))
    walk.run([("周三的会我去不了了", "回复 1 确认")])            # Redis down: in the table
    assert count(a, DialogState) == 1
    # Redis is back, and still holds an older copy, now changed to a state of no meaning.
    service.dialogs.link._down_until = 0.0
    linli(a).extra["redis"].set(linli(a).settings.redis.prefix + "dialog:o-back", json.dumps(
        {"state": "stale", "data": {}, "expires_at": "2099-01-01T00:00:00+00:00"}))
    walk.run([("1", "已取消报名")])        # the table's dialog answered, not the stale one
    assert done == ["o-back"]
    assert count(a, DialogState) == 0 and rget(a, "dialog:o-back") is None


def test_a_live_dialog_from_the_table_moves_to_redis(make_app: Any, redis_cfg: dict[str, str]) -> None:
    from bot.dialog import load as load_from_table
    from models.base import utcnow
    from models.db import transaction

    a = make_app(redis=redis_cfg)
    register_irreversible(a)
    Transcript(WeChatSide(a), "o-move").run([("帮助", "")])    # the resident exists
    dialogs, now = linli(a).service.dialogs, utcnow()
    with transaction(linli(a).factory) as s:                # saved while Redis was down
        d = load_from_table(s, "o-move", now)
        d.set("confirm", meeting_id=7)
        dialogs.db.save(s, d, now)
    with transaction(linli(a).factory) as s:
        moved = dialogs.load(s, "o-move", now)
        assert (moved.state, moved.data, moved.shared) == ("confirm", {"meeting_id": 7}, True)
        after = dialogs.save(s, moved, now)
    assert after is not None
    after()
    assert count(a, DialogState) == 0
    assert rget(a, "dialog:o-move")["state"] == "confirm"
    assert rget(a, "dialog:o-move")["data"] == {"meeting_id": 7}
