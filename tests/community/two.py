"""Two communities in one database, built the way an operator would: one roster file with a
社区 column (flask roster import), staff added with --community, residents bound by chat.

黄巷社区 (A) and 东湖社区 (B) both have a 3号楼2单元 with rooms 301 and 302, so a bare
"3号楼" names a place in each."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models.community import Community
from models.delivery import Delivery
from tests.wechat_side import Transcript, WeChatSide

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=TZ)     # daytime: pushes are not held back
A, B = "黄巷社区", "东湖社区"
ROSTER = """社区,居民点,楼栋,单元,室号,姓名,手机,面积,身份
黄巷社区,黄巷新村,3,2,301,张伟,13812345678,89.5,业主
黄巷社区,黄巷新村,3,2,302,李强,13700002222,76,业主
东湖社区,东湖花园,3,2,301,陈东,13811113333,90,业主
东湖社区,东湖花园,3,2,302,周湖,13722224444,80,业主
"""
# openid → (bind command, community)
RESIDENTS = {
    "o-a1": ("绑定 黄巷新村3号楼2单元301 张伟 5678", A),
    "o-a2": ("绑定 黄巷新村3号楼2单元302 李强 2222", A),
    "o-b1": ("绑定 东湖花园3号楼2单元301 陈东 3333", B),
    "o-b2": ("绑定 东湖花园3号楼2单元302 周湖 4444", B),
}
# openid → (name, role, community, console username)
STAFF = {
    "o-sa": ("甲社工", "社工", A, "jia"),
    "o-ha": ("甲主任", "居委会", A, "jiazhuren"),
    "o-sb": ("乙社工", "社工", B, "yi"),
    "o-hb": ("乙主任", "居委会", B, "yizhuren"),
}
PASSWORD = "correct-horse-42"


@dataclass
class Two:
    app: Any
    side: WeChatSide
    clock: list[datetime]
    tmp: Path

    @property
    def factory(self) -> Any:
        return self.app.extensions["linli"].factory

    def cli(self, *args: str) -> Any:
        return self.app.test_cli_runner().invoke(args=list(args))

    def say(self, openid: str, text: str) -> str:
        return self.side.say(openid, text)

    def talk(self, openid: str) -> Transcript:
        return Transcript(self.side, openid)

    def community_id(self, name: str) -> int:
        with self.factory() as s:
            return s.scalars(select(Community.id).where(Community.name == name)).one()

    def pushes(self, openid: str) -> list[str]:
        """Texts queued for someone (not replies), oldest first."""
        with self.factory() as s:
            return [d.body.get("text", "") for d in s.scalars(
                select(Delivery).where(Delivery.openid == openid, Delivery.kind != "reply")
                .order_by(Delivery.id))]

    def run_due(self, when: datetime) -> str:
        res = self.cli("jobs", "run-due", "--now", when.strftime("%Y-%m-%d %H:%M"))
        assert res.exit_code == 0, res.output
        return res.output

    def file(self, openid: str, text: str) -> str:
        """File a request and return its ticket (a new one, even if one like it is open)."""
        reply = self.say(openid, f"诉求 {text}")
        if "为同一问题" in reply:
            reply = self.say(openid, "2")
        found = re.search(r"TS\d{8}-\d{4}", reply)
        assert found, reply
        return found.group(0)

    def later(self, **delta: float) -> None:
        self.clock[0] += timedelta(**delta)


def build(make_app: Any, tmp: Path, **over: Any) -> Two:
    app = make_app(server={"rate_limit_per_minute": 1000}, **over)
    clock = [T0]
    app.extensions["linli"].service.clock = lambda: clock[0].astimezone(ZoneInfo("UTC"))
    two = Two(app, WeChatSide(app), clock, tmp)
    path = tmp / "two-communities.csv"
    path.write_text(ROSTER, encoding="utf-8")
    res = two.cli("roster", "import", str(path))
    assert res.exit_code == 0 and "社区：黄巷社区（新建）、东湖社区（新建）" in res.output, res.output
    for openid, (name, role, community, username) in STAFF.items():
        res = two.cli("staff", "add", openid, "--name", name, "--role", role, "--community", community,
                      "--username", username, "--password", PASSWORD)
        assert res.exit_code == 0, res.output
    for openid, (command, _) in RESIDENTS.items():
        two.talk(openid).run([(command, "绑定成功")])
    return two
