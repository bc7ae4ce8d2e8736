"""Over real HTTP: a state change reaches the resident's WeChat (the stand-in API)."""
from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select

from models.delivery import SENT, Delivery
from models.sandbox import SandboxMessage
from tests.complaints.conftest import build_people
from tests.wechat_side import WeChatSide


def test_accept_and_resolve_are_pushed_to_the_resident(live: Any) -> None:
    srv = live(server={"rate_limit_per_minute": 1000})
    build_people(srv.app)
    side = WeChatSide(srv.app)
    reply = side.say("o-a", "诉求 3号楼楼道灯坏了")
    ticket = reply.split("编号 ")[1].split("\n")[0]
    side.say("o-grid", f"受理 {ticket}")
    side.say("o-grid", f"办结 {ticket} 已更换灯泡")
    linli = srv.app.extensions["linli"]
    deadline = time.monotonic() + 10    # sends run on the service's thread pool
    while True:
        linli.service.wait_idle()
        with linli.factory() as s:
            pushed = [json.dumps(m.body, ensure_ascii=False) for m in s.scalars(
                select(SandboxMessage).where(SandboxMessage.openid == "o-a",
                                             SandboxMessage.direction == "push")
                .order_by(SandboxMessage.id))]
            statuses = set(s.scalars(select(Delivery.status).where(
                Delivery.openid == "o-a", Delivery.kind == "ticket")))
        if (len(pushed) >= 2 and statuses == {SENT}) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(pushed) == 2, pushed
    # Sent from a thread pool: the order of arrival is not fixed.
    assert any("已受理" in p for p in pushed)
    assert any("已办结" in p and "已更换灯泡" in p for p in pushed)
    assert statuses == {SENT}
