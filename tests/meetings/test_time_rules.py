"""When a meeting's day-of steps are allowed: check-in from 2 hours before the start until the
end, the outcome only after the start (a week ahead both were accepted); a plain reason with
the meeting's time otherwise. Chat creation: capacity 0 means 不限."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from models.meetings import Meeting, Signup
from tests.meetings.conftest import World
from tests.wechat_side import Transcript, WeChatSide


def code_of(wechat: WeChatSide, openid: str, mid: int) -> str:
    return wechat.say(openid, f"报名 {mid}").split("签到码：")[1][:6]


def at(w: World, when: Any) -> None:
    w.linli.service.clock = lambda: when


def local(w: World, when: Any) -> str:
    t = when.astimezone(w.linli.settings.community.tz)
    return f"{t.month}月{t.day}日 {t:%H:%M}"


def checked_in(w: World, openid: str) -> bool:
    with w.linli.factory() as s:
        return s.scalars(select(Signup).where(Signup.openid == openid)).one().checked_in_at is not None


def test_check_in_only_around_the_meeting(world: World, wechat: WeChatSide) -> None:
    mid = world.meeting(starts_in=timedelta(days=6))
    code = code_of(wechat, "o-a", mid)
    m = world.get(mid)
    Transcript(wechat, "o-grid").run([
        (f"签到 {mid} {code}", ["还没到签到时间", local(world, m.starts_at), "开会前2小时",
                                local(world, m.starts_at - timedelta(hours=2)), "!签到成功"]),
    ])
    assert not checked_in(world, "o-a")
    at(world, m.ends_at + timedelta(minutes=1))
    Transcript(wechat, "o-grid").run([(f"签到 {mid} {code}", ["已于", local(world, m.ends_at), "结束",
                                                             "!签到成功"])])
    assert not checked_in(world, "o-a")
    at(world, m.starts_at - timedelta(hours=2))
    Transcript(wechat, "o-grid").run([(f"签到 {mid} {code}", ["签到成功", "王大妈"])])
    assert checked_in(world, "o-a")


def test_outcome_only_after_the_start(world: World, wechat: WeChatSide) -> None:
    mid = world.meeting(starts_in=timedelta(days=6))
    wechat.say("o-a", f"报名 {mid}")
    m = world.get(mid)
    runner = world.app.test_cli_runner()
    tz = world.linli.settings.community.tz
    early = runner.invoke(args=["meeting", "outcome", str(mid), "--text", "同意加装"])
    assert early.exit_code != 0 and "开会后才能发布" in early.output
    assert local(world, m.starts_at) in early.output and "Traceback" not in early.output
    assert world.get(mid).outcome_posted_at is None and world.deliveries(f"meeting:{mid}:outcome") == 0
    after = (m.starts_at + timedelta(hours=1)).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    res = runner.invoke(args=["meeting", "outcome", str(mid), "--text", "同意加装", "--now", after])
    assert res.exit_code == 0 and "已通知 1 位参会居民" in res.output, res.output
    assert world.deliveries(f"meeting:{mid}:outcome") == 1


def test_chat_capacity_zero_means_no_limit(world: World, wechat: WeChatSide) -> None:
    Transcript(wechat, "o-boss").run([
        ("创建会议", "会议名称"),
        ("停车位分配协调会", "会议时间"),
        ("下周三下午两点", "会议地点"),
        ("社区活动室", "不限人数回复 0"),
        ("0", ["请确认", "人数：不限"]),
        ("1", "会议已创建，编号"),
    ])
    with world.linli.factory() as s:
        m = s.scalars(select(Meeting).order_by(Meeting.id.desc())).first()
        assert m is not None and m.capacity is None
