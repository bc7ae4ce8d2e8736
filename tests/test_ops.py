"""Operations: health, metrics, request ids, and per-openid rate limits (local and Redis)."""
from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from tests.conftest import new_redis_prefix
from tests.wechat_side import WeChatSide

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


def test_healthz_reports_database_scheduler_and_token(app: Any) -> None:
    res = app.test_client().get("/healthz")
    assert res.status_code == 200
    body = res.json
    assert body["database"] == "ok" and body["schema_current"] is True
    assert "scheduler" in body and "wechat_token" in body


def test_metrics_count_messages_by_intent_and_outcome(wechat: WeChatSide, app: Any) -> None:
    wechat.say("o-metrics", "帮助")
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'linli_messages_total{intent="help",outcome="replied"}' in text
    assert "linli_reply_seconds_bucket" in text


def test_every_response_carries_a_request_id(app: Any) -> None:
    res = app.test_client().get("/healthz", headers={"X-Request-Id": "abc123"})
    assert res.headers["X-Request-Id"] == "abc123"
    assert app.test_client().get("/healthz").headers["X-Request-Id"]


def flood(side: WeChatSide, openid: str, n: int) -> list[str]:
    return [side.say(openid, "你好") for _ in range(n)]


def test_a_flooding_openid_is_slowed_politely_and_others_are_not(make_app: Any) -> None:
    app = make_app(server={"rate_limit_per_minute": 5})
    side = WeChatSide(app)
    replies = flood(side, "o-flood", 8)
    assert all("您好" in r for r in replies[:5])
    assert "稍等" in replies[5]
    assert replies[6:] == ["", ""]                 # then silence, no database work
    assert "您好" in side.say("o-calm", "你好")     # another resident is unaffected
    assert side.event("o-flood", "unsubscribe") == ""   # leaving is never limited
    from sqlalchemy import select

    from models.resident import Resident
    with app.extensions["linli"].factory() as s:
        assert s.scalars(select(Resident.followed).where(Resident.openid == "o-flood")).one() is False


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
def test_rate_limit_is_shared_by_workers_through_redis(make_app: Any) -> None:
    redis = {"url": REDIS_URL, "prefix": new_redis_prefix()}
    a = make_app(server={"rate_limit_per_minute": 4}, redis=redis)
    b = make_app(server={"rate_limit_per_minute": 4}, redis=redis)
    openid = f"o-redis-{uuid.uuid4().hex[:8]}"
    replies = flood(WeChatSide(a), openid, 2) + flood(WeChatSide(b), openid, 3)
    assert "稍等" in replies[4]
    assert a.test_client().get("/healthz").json["redis"].startswith("ok")
    # Every key of this deployment is under its prefix (deployments can share a Redis).
    client = a.extensions["linli"].extra["redis"]
    keys = [k.decode() for k in client.scan_iter(match=f"*{openid}*")]
    assert keys and all(k.startswith(redis["prefix"]) for k in keys)


def test_a_redis_outage_does_not_silence_residents(make_app: Any) -> None:
    app = make_app(redis={"url": "redis://127.0.0.1:1/0"})
    assert "您好" in WeChatSide(app).say("o-noredis", "你好")
    assert app.test_client().get("/healthz").status_code == 503


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
def test_a_burst_across_the_turn_of_a_minute_is_still_counted_as_one() -> None:
    import redis as redis_lib

    from bot.ratelimit import RedisLimiter

    now = [6_000_000 * 60 + 59.9]        # a tenth of a second before a minute turns
    limiter = RedisLimiter(redis_lib.Redis.from_url(REDIS_URL), prefix=new_redis_prefix(),
                           clock=lambda: now[0])
    counts = [limiter.hit("o-burst") for _ in range(3)]
    now[0] += 0.2                                           # the minute has turned
    counts += [limiter.hit("o-burst") for _ in range(2)]
    assert counts == [1, 2, 3, 4, 5]
    now[0] += 120                                           # two windows later: forgotten
    assert limiter.hit("o-burst") == 1
