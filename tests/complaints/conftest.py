"""A small community for the request tests: two households in 3号楼, one in 5号楼, staff,
and a fixed clock (2026-11-27 10:00 Shanghai) that tests move forward."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.db import transaction
from models.complaints import Complaint
from models.delivery import Delivery
from tests import factories as f
from tests.wechat_side import Transcript, WeChatSide

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=TZ)


@dataclass
class World:
    app: Any
    side: WeChatSide
    clock: list[datetime]

    def at(self, when: datetime) -> None:
        self.clock[0] = when

    def later(self, **delta: float) -> None:
        self.clock[0] = self.clock[0] + timedelta(**delta)

    def talk(self, openid: str) -> Transcript:
        return Transcript(self.side, openid)

    def say(self, openid: str, text: str) -> str:
        return self.side.say(openid, text)

    def pushes(self, openid: str) -> list[str]:
        """Texts queued for someone on the one delivery path, oldest first."""
        with self.app.extensions["linli"].factory() as s:
            return [d.body["text"] for d in s.scalars(
                select(Delivery).where(Delivery.openid == openid, Delivery.kind != "reply")
                .order_by(Delivery.id))]

    def run_due(self, when: datetime) -> str:
        res = self.app.test_cli_runner().invoke(
            args=["jobs", "run-due", "--now", when.strftime("%Y-%m-%d %H:%M")])
        assert res.exit_code == 0, res.output
        return res.output

    def ticket_of(self, reply: str) -> str:
        import re
        m = re.search(r"TS\d{8}-\d{4}", reply)
        assert m, reply
        return m.group(0)

    def complaint(self, ticket: str) -> Complaint:
        """The request as stored now (detached: read its fields after the session closed)."""
        with self.app.extensions["linli"].factory() as s:
            c = s.scalars(select(Complaint).where(Complaint.ticket == ticket)).one()
            s.expunge(c)
            return c


def build_people(app: Any) -> None:
    with transaction(app.extensions["linli"].factory) as s:
        a = f.household(s, room="301")
        b = f.household(s, room="302")
        c = f.household(s, building="5", room="101")
        f.resident(s, "o-a", a, name="张三")
        f.resident(s, "o-b", b, name="李四")
        f.resident(s, "o-c", c, name="王五")
        f.resident(s, "o-new")                    # followed, not bound
        f.staff(s, "o-grid", "网格员", name="李网格")
        f.staff(s, "o-social", "社工", name="王社工")
        f.staff(s, "o-head", "居委会", name="赵主任")


@pytest.fixture
def world(make_app: Any) -> World:
    app = make_app(server={"rate_limit_per_minute": 1000})
    clock = [T0]
    app.extensions["linli"].service.clock = lambda: clock[0].astimezone(ZoneInfo("UTC"))
    build_people(app)
    return World(app, WeChatSide(app), clock)
