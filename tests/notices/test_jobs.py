"""The scheduler core: run-due at a given clock, twice without a second effect; one leader."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from models.db import transaction
from models.delivery import SENT, Delivery
from models.sandbox import SandboxMessage
from notices import deliver
from notices.scheduler import Leader
from tests.wechat_side import WeChatSide


def test_run_due_twice_sends_a_pending_push_once(live: Any) -> None:
    srv = live()
    WeChatSide(srv.app).say("o-job", "你好")
    linli = srv.app.extensions["linli"]
    with transaction(linli.factory) as s:
        deliver.enqueue(s, "o-job", "停水通知：明天9点到12点", notice_key="bulletin:1", urgent=True)
    runner = srv.app.test_cli_runner()
    clock = (datetime.now(UTC) + timedelta(minutes=1)).astimezone(
        linli.settings.community.tz).strftime("%Y-%m-%d %H:%M")
    first = runner.invoke(args=["jobs", "run-due", "--now", clock])
    second = runner.invoke(args=["jobs", "run-due", "--now", clock])
    assert first.exit_code == 0 and "deliveries.send_due: 1" in first.output
    assert second.exit_code == 0 and "deliveries.send_due: 0" in second.output
    with linli.factory() as s:
        assert s.scalar(select(func.count()).select_from(SandboxMessage).where(
            SandboxMessage.direction == "push")) == 1
        assert s.scalars(select(Delivery.status)).all() == [SENT]


def test_run_due_refuses_a_bad_clock(app: Any) -> None:
    res = app.test_cli_runner().invoke(args=["jobs", "run-due", "--now", "tomorrow"])
    assert res.exit_code != 0 and "YYYY-MM-DD HH:MM" in res.output


def test_jobs_list_names_the_jobs(app: Any) -> None:
    res = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert "deliveries.send_due" in res.output


def test_only_one_scheduler_leads(app: Any) -> None:
    env = app.extensions["linli"].jobs
    one, two = Leader(env, "one"), Leader(env, "two")
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert one.acquire(now) is True
    assert two.acquire(now) is False
    assert one.acquire(now + timedelta(seconds=30)) is True      # renewal
    later = now + timedelta(seconds=30 + env.settings.scheduler.lease_seconds + 1)
    assert two.acquire(later) is True                            # the first one died
    assert one.acquire(later) is False
