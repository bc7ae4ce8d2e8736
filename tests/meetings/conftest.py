"""A small community for meeting tests: four households in 黄巷新村3号楼2单元 with bound
residents, one household elsewhere (白马小区), an unbound user and two staff."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models.db import transaction
from models.delivery import Delivery
from models.meetings import Meeting, create_meeting
from models.sandbox import SandboxMessage
from tests import factories as f

RESIDENTS = {"o-a": ("301", "王大妈"), "o-b": ("302", "李大爷"), "o-c": ("303", "赵阿姨"),
             "o-d": ("304", "钱先生")}


@dataclass
class World:
    app: Any
    households: dict[str, int]     # openid -> household id
    point_scope: str               # "point:N" of 黄巷新村
    far_scope: str                 # "point:N" of 白马小区

    @property
    def linli(self) -> Any:
        return self.app.extensions["linli"]

    def meeting(self, *, title: str = "加装电梯恳谈会", kind: str = "恳谈会",
                starts_in: timedelta = timedelta(days=3), capacity: int | None = 2,
                scope: str | None = None, deadline: datetime | None = None,
                starts_at: datetime | None = None, now: datetime | None = None) -> int:
        from models.community import Scope
        now = now or datetime.now(UTC)
        with transaction(self.linli.factory) as s:
            key = scope or self.point_scope
            m = create_meeting(s, title=title, meeting_type=kind,
                               starts_at=starts_at or now + starts_in, place="3号楼架空层",
                               scope=Scope.from_key(key, "黄巷新村" if key == self.point_scope else "白马小区"),
                               now=now, capacity=capacity, deadline=deadline, agenda="电梯方案与分摊")
            return m.id

    def get(self, meeting_id: int) -> Meeting:
        with self.linli.factory() as s:
            m = s.get(Meeting, meeting_id)
            assert m is not None
            return m

    def pushes(self, openid: str, expect: int = 0) -> list[str]:
        """Texts the stand-in WeChat API received for this person (waiting up to 5 s for
        `expect` of them: pushes are sent in the background after the reply)."""
        deadline = time.monotonic() + 5
        while True:
            self.linli.service.wait_idle()
            with self.linli.factory() as s:
                rows = s.scalars(select(SandboxMessage).where(
                    SandboxMessage.openid == openid, SandboxMessage.direction == "push")
                    .order_by(SandboxMessage.id))
                got = [r.body.get("text", {}).get("content", "") for r in rows]
            if len(got) >= expect or time.monotonic() > deadline:
                return got
            time.sleep(0.05)

    def deliveries(self, like: str) -> int:
        with self.linli.factory() as s:
            return s.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.notice_key.like(like))) or 0


def build_world(app: Any) -> World:
    with transaction(app.extensions["linli"].factory) as s:
        hh = {}
        for openid, (room, name) in RESIDENTS.items():
            h = f.household(s, room=room)
            f.resident(s, openid, h, name=name)
            hh[openid] = h.id
        far = f.household(s, point="白马小区", building="1", unit="1", room="101")
        f.resident(s, "o-far", far, name="孙先生")
        hh["o-far"] = far.id
        f.resident(s, "o-new")
        f.staff(s, "o-grid", "网格员", name="李网格")
        f.staff(s, "o-boss", "居委会", name="周主任")
        h0 = s.get(type(far), hh["o-a"])
        assert h0 is not None
        return World(app, hh, f"point:{h0.point_id}", f"point:{far.point_id}")


@pytest.fixture
def world(app: Any) -> World:
    return build_world(app)
