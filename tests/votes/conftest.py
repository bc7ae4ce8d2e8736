"""A stairwell of six households (3号楼2单元 301–306), one household outside it, residents,
staff, and helpers to create votes and run the jobs at a given clock."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models.db import transaction
from models.sandbox import SandboxMessage
from models.votes import Vote
from tests import factories as f

ROOMS = ["301", "302", "401", "402", "501", "502"]


def base_clock(tz: Any) -> datetime:
    """Tomorrow 08:00 in the community: every test clock is daytime (no quiet hours) and
    within WeChat's 48 h window of the residents' messages, whatever the wall clock says."""
    local = datetime.now(tz) + timedelta(days=1)
    return local.replace(hour=8, minute=0, second=0, microsecond=0).astimezone(UTC)


class Stairwell:
    def __init__(self, app: Any):
        self.app = app
        self.linli = app.extensions["linli"]
        self.tz = self.linli.settings.community.tz
        self.now = base_clock(self.tz)
        self.linli.service.clock = lambda: self.now
        with transaction(self.linli.factory) as s:
            hs = f.stairwell(s, ROOMS)
            self.households = {h.room: h.id for h in hs}
            for h in hs:
                f.resident(s, f"o-{h.room}", h, name=f"住户{h.room}")
            f.resident(s, "o-301b", hs[0], name="住户301家属")
            other = f.household(s, unit="1", room="101")
            self.outside = other.id
            f.resident(s, "o-101", other, name="隔壁单元")
            f.resident(s, "o-pending", hs[1], name="待审核", verified=False)
            f.resident(s, "o-stranger")
            f.staff(s, "o-staff", role="居委会", name="王主任")

    def clock(self, when: datetime) -> str:
        return when.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def cli(self, *args: str) -> Any:
        return self.app.test_cli_runner().invoke(args=list(args))

    def create(self, *extra: str, hours: float = 48, title: str = "楼道公约（2026版）") -> int:
        closes = self.clock(self.now + timedelta(hours=hours))
        res = self.cli("vote", "create", "--scope", "3号楼2单元", "--title", title,
                       "--text", "一、楼道不堆放杂物。二、电动车不进楼道充电。", "--closes", closes,
                       "--now", self.clock(self.now), *extra)
        assert res.exit_code == 0, res.output
        return int(res.output.strip().splitlines()[-1])

    def vote(self, vote_id: int) -> Vote:
        with self.linli.factory() as s:
            v = s.get(Vote, vote_id)
            assert v is not None
            return v

    def later(self, **delta: float) -> datetime:
        return self.now + timedelta(**delta)

    def run_due(self, when: datetime) -> Any:
        res = self.cli("jobs", "run-due", "--now", self.clock(when))
        assert res.exit_code == 0, res.output
        return res

    def pushes(self, openid: str) -> list[str]:
        with self.linli.factory() as s:
            rows = s.scalars(select(SandboxMessage).where(
                SandboxMessage.openid == openid, SandboxMessage.direction == "push")
                .order_by(SandboxMessage.id))
            return [_text_of(r.body) for r in rows]


def _text_of(body: dict[str, Any]) -> str:
    if "text" in body and isinstance(body["text"], dict):
        return str(body["text"].get("content", ""))
    return str(body)


@pytest.fixture
def stairwell(app: Any) -> Stairwell:
    return Stairwell(app)


@pytest.fixture
def live_stairwell(live: Any) -> Stairwell:
    """The stairwell on a live server; every resident has written, so pushes can reach them."""
    from tests.wechat_side import WeChatSide

    srv = live()
    st = Stairwell(srv.app)
    side = WeChatSide(srv.app)
    for openid in [f"o-{r}" for r in ROOMS] + ["o-301b", "o-101", "o-pending", "o-staff"]:
        side.say(openid, "你好")
    st.side = side  # type: ignore[attr-defined]
    return st
