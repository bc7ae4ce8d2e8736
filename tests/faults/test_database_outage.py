"""The database going away under the webhook: WeChat is told to retry (503), never a 500,
and the retried message is processed once when the database is back."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from models.db import normalise_url
from models.wechat import InboundMessage
from tests.conftest import PG_URL
from tests.wechat_side import WeChatSide


def admin_exec(sql: str) -> None:
    admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(sql))
    admin.dispose()


@pytest.fixture
def pg_app(make_app: Any, db_url: str) -> Any:
    if not db_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL to take the database away")
    name = make_url(db_url).database
    app = make_app()
    yield app, name
    admin_exec(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def test_connections_killed_between_messages_are_replaced(pg_app: Any) -> None:
    app, name = pg_app
    side = WeChatSide(app)
    assert "您好" in side.say("o-kill", "你好")
    admin_exec(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
               "AND pid <> pg_backend_pid()")
    assert "您好" in side.say("o-kill", "你好")


def test_database_down_answers_503_and_the_retry_is_processed_once(pg_app: Any) -> None:
    app, name = pg_app
    side = WeChatSide(app)
    side.say("o-down", "你好")
    admin_exec(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    admin_exec(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
               "AND pid <> pg_backend_pid()")
    fields = side.fields("o-down", "text", Content="帮助", MsgId=77770001)
    res = side.post(fields)
    assert res.status_code == 503 and b"Traceback" not in res.data
    admin_exec(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    retry = side.reply_of(side.post(fields))              # WeChat's retry
    again = side.reply_of(side.post(fields))              # and one more
    assert retry is not None and again is not None and retry["Content"] == again["Content"]
    with app.extensions["linli"].factory() as s:
        assert s.scalar(select(func.count()).select_from(InboundMessage)
                        .where(InboundMessage.openid == "o-down")) == 2


def test_a_connection_lost_without_a_word_costs_the_resident_nothing(pg_app: Any, monkeypatch: Any,
                                                                    caplog: Any) -> None:
    # A network cut leaves nothing to read on the socket, so the checkout check passes the
    # dead connection: its first statement fails, it is invalidated, and the message runs
    # once more on a new connection (bot/service.py).
    import models.db

    app, name = pg_app
    side = WeChatSide(app)
    assert "您好" in side.say("o-cut", "你好")
    app.extensions["linli"].service.before.clear()   # the sandbox's record: only the message
    monkeypatch.setattr(models.db.select, "select", lambda r, w, x, t: ([], [], []))
    admin_exec(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
               "AND pid <> pg_backend_pid()")
    fields = side.fields("o-cut", "text", Content="帮助", MsgId=77770002)
    res = side.post(fields)
    assert res.status_code == 200 and "帮助" in (side.reply_of(res) or {}).get("Content", "")
    assert "once more on a new one" in caplog.text
    with app.extensions["linli"].factory() as s:
        assert s.scalar(select(func.count()).select_from(InboundMessage)
                        .where(InboundMessage.dedup_key == "m:77770002")) == 1
