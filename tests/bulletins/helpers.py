"""Shared by the bulletin and delivery tests: a small community, clocks outside quiet hours,
the stand-in's faults and what it received."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import select

from models.db import transaction
from models.delivery import Delivery
from models.sandbox import SandboxMessage
from tests import factories as f
from tests.wechat_side import WeChatSide

TZ = ZoneInfo("Asia/Shanghai")
# 3号楼2单元: o-301, o-302, o-401; 5号楼1单元: o-501
UNIT32 = {"o-301": "301", "o-302": "302", "o-401": "401"}


def next_local(hour: int, minute: int = 0, after: datetime | None = None) -> datetime:
    """The next hour:minute in Shanghai after `after` (default: now), as aware UTC."""
    after = (after or datetime.now(UTC)).astimezone(TZ)
    t = after.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if t <= after:
        t += timedelta(days=1)
    return t.astimezone(UTC)


def text_of(dt: datetime) -> str:
    return dt.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def community(app: Any) -> None:
    with transaction(app.extensions["linli"].factory) as s:
        for openid, room in UNIT32.items():
            f.resident(s, openid, f.household(s, room=room))
        f.resident(s, "o-501", f.household(s, building="5", unit="1", room="501"))
        f.resident(s, "o-unbound")


def say(app: Any, openid: str, text: str) -> str:
    return WeChatSide(app).say(openid, text)


def faults(srv: Any, **data: Any) -> dict[str, Any]:
    return requests.post(srv.url + "/sandbox/api/_faults", json=data, timeout=5).json()


def counts(srv: Any) -> dict[str, int]:
    return requests.get(srv.url + "/sandbox/api/_faults", timeout=5).json()["counts"]


def pushes(app: Any, openid: str | None = None) -> list[SandboxMessage]:
    with app.extensions["linli"].factory() as s:
        q = select(SandboxMessage).where(SandboxMessage.direction == "push")
        if openid:
            q = q.where(SandboxMessage.openid == openid)
        return list(s.scalars(q.order_by(SandboxMessage.id)))


def pushed_to(app: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in pushes(app):
        out[p.openid] = out.get(p.openid, 0) + 1
    return out


def deliveries(app: Any, notice_key: str | None = None) -> dict[str, Delivery]:
    with app.extensions["linli"].factory() as s:
        q = select(Delivery)
        if notice_key:
            q = q.where(Delivery.notice_key == notice_key)
        return {d.openid: d for d in s.scalars(q.order_by(Delivery.id))}


def wait_for(check: Any, timeout: float = 10.0) -> None:
    """Background sends after a message: poll until `check()` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def cli(app: Any, *args: str) -> Any:
    res = app.test_cli_runner().invoke(args=list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res


def publish(app: Any, *extra: str, scope: str = "3号楼2单元", topic: str = "停水停电",
            title: str = "明日停水", body: str = "明天9点到12点停水，请提前储水。") -> int:
    res = cli(app, "bulletin", "publish", "--scope", scope, "--topic", topic, "--title", title,
              "--body", body, *extra)
    assert res.exit_code == 0, res.output
    return int(res.stdout.splitlines()[0])


def staff_publishing(app: Any) -> None:
    """The bulletin community, the service clock at 10:00 and 王社工 (o-staff, 社工) on WeChat."""
    community(app)
    linli = app.extensions["linli"]
    clock = next_local(10)
    linli.service.clock = lambda: clock
    with transaction(linli.factory) as s:
        f.staff(s, "o-staff", role="社工", name="王社工")
