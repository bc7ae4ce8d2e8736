"""Staff commands: create (and its errors), edit and cancel (signed-up people told),
roster CSV and the iCalendar event (parsed back with icalendar)."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select

from models.delivery import Delivery
from models.meetings import Meeting
from tests.meetings.conftest import World
from tests.wechat_side import WeChatSide

SH = ZoneInfo("Asia/Shanghai")


def at(days: int = 3, hour: int = 19, minute: int = 30) -> str:
    d = (datetime.now(UTC) + timedelta(days=days)).astimezone(SH)
    return d.replace(hour=hour, minute=minute).strftime("%Y-%m-%d %H:%M")


def cli(w: World, *args: str) -> Any:
    return w.app.test_cli_runner().invoke(args=["meeting", *args])


def create(w: World, *extra: str) -> int:
    res = cli(w, "create", "--title", "加装电梯恳谈会", "--type", "恳谈会", "--at", at(),
              "--place", "3号楼架空层", "--capacity", "2", "--scope", "黄巷新村", *extra)
    assert res.exit_code == 0, res.output
    return int(res.output.strip())


def test_create_prints_the_id_and_residents_see_it(world: World, wechat: WeChatSide) -> None:
    mid = create(world, "--agenda", "方案介绍；费用分摊", "--deadline", at(days=2))
    m = world.get(mid)
    assert (m.title, m.meeting_type, m.capacity, m.scope_label) == ("加装电梯恳谈会", "恳谈会", 2, "黄巷新村")
    assert m.ends_at - m.starts_at == timedelta(hours=2)
    assert m.starts_at.astimezone(SH).strftime("%Y-%m-%d %H:%M") == at()
    assert "剩余 2 个名额" in wechat.say("o-a", "会议")
    assert "加装电梯" not in wechat.say("o-far", "会议")   # 白马小区 is outside the scope


def test_create_errors_name_the_option(world: World) -> None:
    base = {"--title": "恳谈", "--type": "恳谈会", "--at": at(), "--place": "活动室", "--scope": "黄巷新村"}
    cases = [("--type", "茶话会", "--type"), ("--at", "下周三", "--at"),
             ("--at", "2020-01-01 10:00", "--at"), ("--scope", "火星小区", "--scope"),
             ("--deadline", at(days=4), "--deadline")]
    for option, value, named in cases:
        args = dict(base, **{option: value})
        flat = [x for kv in args.items() for x in kv]
        res = cli(world, "create", *flat)
        assert res.exit_code != 0, (option, value, res.output)
        assert named in res.output and "Traceback" not in res.output, (option, res.output)
    with world.linli.factory() as s:
        assert s.scalars(select(Meeting)).all() == []


def test_edit_and_cancel_tell_everyone_signed_up(world: World, wechat: WeChatSide) -> None:
    mid = create(world)
    for who in ("o-a", "o-b", "o-c"):
        wechat.say(who, f"报名 {mid}")
    res = cli(world, "edit", str(mid), "--place", "社区活动室", "--at", at(days=4, hour=9, minute=0))
    assert res.exit_code == 0 and "已通知 3 人" in res.output and "地点" in res.output, res.output
    m = world.get(mid)
    assert m.place == "社区活动室" and m.ends_at - m.starts_at == timedelta(hours=2)
    with world.linli.factory() as s:
        told = {d.openid: d.body["text"] for d in s.scalars(
            select(Delivery).where(Delivery.notice_key.like(f"meeting:{mid}:changed:%")))}
    assert set(told) == {"o-a", "o-b", "o-c"} and "社区活动室" in told["o-a"] and "09:00" in told["o-a"]
    # raising the capacity promotes the waitlisted o-c
    assert cli(world, "edit", str(mid), "--capacity", "3").exit_code == 0
    assert "（您已报名）" in wechat.say("o-c", "会议")
    low = cli(world, "edit", str(mid), "--capacity", "1")
    assert low.exit_code != 0 and "--capacity" in low.output
    res = cli(world, "cancel", str(mid))
    assert res.exit_code == 0 and "已取消；已通知 3 人" in res.output
    assert world.deliveries(f"meeting:{mid}:cancelled") == 3
    again = cli(world, "cancel", str(mid))
    assert again.exit_code != 0 and "已经取消" in again.output
    missing = cli(world, "cancel", "999")
    assert missing.exit_code != 0 and "999" in missing.output


def test_roster_csv(world: World, wechat: WeChatSide, tmp_path: Any) -> None:
    mid = create(world)
    code = wechat.say("o-a", f"报名 {mid}").split("签到码：")[1][:6]
    wechat.say("o-b", f"报名 {mid}")
    wechat.say("o-c", f"报名 {mid}")
    world.linli.service.clock = lambda: world.get(mid).starts_at   # check-in opens at the meeting
    assert "签到成功" in wechat.say("o-grid", f"签到 {mid} {code}")
    res = cli(world, "roster", str(mid))
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.output)))
    assert list(rows[0]) == ["姓名", "住户", "状态", "候补顺序", "签到码", "签到时间"]
    assert [r["姓名"] for r in rows] == ["王大妈", "李大爷", "赵阿姨"]
    a, b, c = rows
    assert a["住户"] == "黄巷新村3号楼2单元301室" and a["状态"] == "报名成功" and a["签到码"] == code
    assert a["签到时间"] and not b["签到时间"]
    assert c["状态"] == "候补" and c["候补顺序"] == "1" and c["签到码"] == ""
    out = tmp_path / "roster.csv"
    assert cli(world, "roster", str(mid), "--out", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("姓名,住户,状态")
    assert out.read_text(encoding="utf-8-sig").splitlines()[1].startswith("王大妈,")


def test_ical_event(world: World, tmp_path: Any) -> None:
    mid = create(world, "--agenda", "方案介绍")
    res = cli(world, "ical", str(mid))
    assert res.exit_code == 0, res.output
    cal = Calendar.from_ical(res.output)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    ev = events[0]
    assert str(ev["summary"]) == "加装电梯恳谈会（恳谈会）"
    assert str(ev["location"]) == "3号楼架空层" and str(ev["description"]) == "方案介绍"
    start = ev.decoded("dtstart")
    assert start.strftime("%Y-%m-%d %H:%M") == at() and start.utcoffset() == timedelta(hours=8)
    assert ev.decoded("dtend") - start == timedelta(hours=2)
    uid = str(ev["uid"])
    assert cli(world, "edit", str(mid), "--place", "活动室").exit_code == 0
    out = tmp_path / "m.ics"
    assert cli(world, "ical", str(mid), "--out", str(out)).exit_code == 0
    ev2 = list(Calendar.from_ical(out.read_bytes()).walk("VEVENT"))[0]
    assert str(ev2["uid"]) == uid and str(ev2["location"]) == "活动室"
    assert int(ev2["sequence"]) > int(ev["sequence"])


def test_roster_cells_cannot_run_as_spreadsheet_formulas() -> None:
    from models.meeting_export import cell
    assert cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert cell("+1") == "'+1" and cell("@SUM") == "'@SUM" and cell("张伟") == "张伟"
