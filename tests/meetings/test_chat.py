"""Meetings as residents and staff meet them in the chat: list, sign up, waitlist, cancel
and promote, deadline, scope, double sign-up, check-in, outcome push, rating."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.nlu import get_nlu
from models.db import transaction
from models.meetings import Signup
from tests.meetings.conftest import World, build_world
from tests.wechat_side import Transcript, WeChatSide


def code_in(reply: str) -> str:
    m = re.search(r"签到码：?\s*(\d{6})", reply)
    assert m, reply
    return m.group(1)


def test_list_sign_up_waitlist_cancel_and_promote(live: Any) -> None:
    srv = live()
    w = build_world(srv.app)
    side = WeChatSide(srv.app)
    mid = w.meeting(capacity=2)
    Transcript(side, "o-a").run([
        ("会议", [f"【编号{mid}】加装电梯恳谈会", "3号楼架空层", "剩余 2 个名额", f"报名 {mid}"]),
        (f"会议 {mid}", ["议程：电梯方案与分摊", "报名截止"]),
        (f"报名 {mid}", ["报名成功", "签到码", f"取消报名 {mid}"]),
        (f"报名 {mid}", ["您已报名", "!候补"]),
        ("会议", ["剩余 1 个名额", "（您已报名）"]),
    ])
    Transcript(side, "o-b").run([(f"报名 {mid}", "报名成功")])
    Transcript(side, "o-c").run([
        ("会议", "名额已满"),
        (f"报名 {mid}", ["候补第 1 位", "!签到码"]),
    ])
    Transcript(side, "o-d").run([(f"报名 {mid}", "候补第 2 位")])
    # o-a cancels by typed command: no confirmation, the place goes to o-c (first waiting)
    Transcript(side, "o-a").run([(f"取消报名 {mid}", "已取消报名“加装电梯恳谈会”")])
    pushed = w.pushes("o-c", expect=1)
    assert len(pushed) == 1 and "递补成功" in pushed[0]
    code = re.search(r"签到码：(\d{6})", pushed[0])
    assert code
    assert w.pushes("o-d") == [] and w.pushes("o-b") == []
    Transcript(side, "o-d").run([("会议", "（您在候补第 1 位）")])
    with w.linli.factory() as s:
        rows = {r.openid: r for r in s.scalars(select(Signup).where(Signup.meeting_id == mid))}
    assert rows["o-c"].status == "confirmed" and rows["o-c"].checkin_code == code.group(1)
    assert rows["o-d"].status == "waitlisted" and rows["o-d"].position == 1
    assert rows["o-a"].status == "cancelled"
    # signing up again after cancelling joins the end of the queue
    Transcript(side, "o-a").run([(f"报名 {mid}", "候补第 2 位")])


def test_free_text_sign_up_and_cancel_with_confirmation(world: World, wechat: WeChatSide) -> None:
    now = datetime.now(UTC)
    day = get_nlu().understand("我想参加周三的恳谈会", now).slots["date"]
    at = datetime.fromisoformat(f"{day}T19:30:00+08:00")
    mid = world.meeting(starts_at=at, now=now)
    other = world.meeting(title="停车协调会", kind="协调会", starts_at=at)
    Transcript(wechat, "o-a").run([
        ("我想参加周三的恳谈会", ["报名成功", "加装电梯恳谈会", "!停车"]),
        ("周三的会我去不了了", ["您是要取消报名“加装电梯恳谈会”吗", "回复 1 确认"]),
        ("1", "已取消报名"),
        # both meetings are on that Wednesday: each line is led by the meeting's number
        ("我想参加周三的会", ["哪一个", f"【编号{mid}】", f"【编号{other}】"]),
        (str(other), ["报名成功", "停车协调会"]),
    ])


def test_refusals_deadline_scope_cancelled_unbound(world: World, wechat: WeChatSide) -> None:
    now = datetime.now(UTC)
    late = world.meeting(deadline=now - timedelta(minutes=5))
    far = world.meeting(title="白马小区现场办公会", kind="现场办公会", scope=world.far_scope)
    gone = world.meeting(title="绿化评议会", kind="评议会")
    runner = world.app.test_cli_runner()
    assert runner.invoke(args=["meeting", "cancel", str(gone)]).exit_code == 0
    Transcript(wechat, "o-a").run([
        (f"报名 {late}", ["报名已于", "截止", "!报名成功"]),
        (f"报名 {far}", ["只面向白马小区的居民", "!报名成功"]),
        (f"报名 {gone}", ["已取消", "!报名成功"]),
        ("报名 9999", "没有找到编号为 9999 的会议"),
        ("会议", ["!白马小区现场办公会", "!绿化评议会", "!【编号" + str(late) + "】"]),
    ])
    Transcript(wechat, "o-far").run([(f"报名 {far}", "报名成功")])
    Transcript(wechat, "o-new").run([(f"报名 {far}", ["先绑定", "!报名成功"])])


def test_check_in_by_staff(world: World, wechat: WeChatSide) -> None:
    soon = world.meeting(title="现场办公会", kind="现场办公会", starts_in=timedelta(minutes=20))
    soon_code = code_in(wechat.say("o-d", f"报名 {soon}"))
    # a code alone finds the meeting about to start
    Transcript(wechat, "o-grid").run([(f"签到 {soon_code}", ["签到成功", "钱先生"])])
    mid = world.meeting(capacity=1)
    code = code_in(wechat.say("o-a", f"报名 {mid}"))
    wechat.say("o-b", f"报名 {mid}")
    with world.linli.factory() as s:
        waiting = s.scalars(select(Signup).where(Signup.openid == "o-b")).one().checkin_code
    wrong = "000000" if code != "000000" else "111111"
    world.linli.service.clock = lambda: world.get(mid).starts_at   # the meeting has begun
    Transcript(wechat, "o-grid").run([
        (f"签到 {mid} {wrong}", ["没有签到码", "请核对"]),
        (f"签到 {mid} {code}", ["签到成功", "王大妈", "黄巷新村3号楼2单元301室", "已签到 1 人"]),
        (f"签到 {mid} {code}", ["已经签过到了"]),
        (f"签到 {mid} {waiting}", ["还在候补", "!签到成功"]),
        (f"签到 {wrong}", "签到格式"),
    ])
    Transcript(wechat, "o-c").run([(f"签到 {mid} {code}", ["工作人员权限", "!签到成功"])])
    with world.linli.factory() as s:
        row = s.scalars(select(Signup).where(Signup.openid == "o-a")).one()
        assert row.checked_in_at is not None and row.checked_in_by == "李网格"


def test_outcome_is_pushed_to_attendees_once_and_they_rate(live: Any) -> None:
    srv = live()
    w = build_world(srv.app)
    side = WeChatSide(srv.app)
    mid = w.meeting(capacity=2)
    code = code_in(side.say("o-a", f"报名 {mid}"))
    side.say("o-b", f"报名 {mid}")
    side.say("o-c", f"报名 {mid}")          # waitlisted: not an attendee
    starts = w.get(mid).starts_at
    srv.app.extensions["linli"].service.clock = lambda: starts + timedelta(minutes=5)
    assert "签到成功" in side.say("o-grid", f"签到 {mid} {code}")  # only o-a checks in
    Transcript(side, "o-a").run([(f"评价会议 {mid} 5", ["还没有公布", "!感谢"])])
    runner = srv.app.test_cli_runner()
    after = (starts + timedelta(hours=3)).astimezone(w.linli.settings.community.tz).strftime("%Y-%m-%d %H:%M")
    res = runner.invoke(args=["meeting", "outcome", str(mid), "--text", "同意加装，按楼层分摊", "--now", after])
    assert res.exit_code == 0, res.output
    assert "已通知 1 位参会居民" in res.output
    again = runner.invoke(args=["meeting", "outcome", str(mid), "--text", "同意加装，按楼层分摊（修订）",
                                "--now", after])
    assert again.exit_code == 0 and "已通知 0 位参会居民" in again.output
    got = w.pushes("o-a", expect=1)
    assert len(got) == 1 and "同意加装，按楼层分摊" in got[0] and f"评价会议 {mid}" in got[0]
    assert w.pushes("o-b") == [] and w.pushes("o-c") == []
    Transcript(side, "o-a").run([
        (f"评价会议 {mid} 7", "1 到 5 之间"),
        (f"评价会议 {mid} 4", ["感谢您的评价", "4 分"]),
        ("评价会议 5", ["已更新", "5 分"]),
    ])
    Transcript(side, "o-b").run([(f"评价会议 {mid} 5", ["没有参加", "!感谢"])])
    # free text the NLU reads as complaint.rate goes to the meeting when it is about one
    Transcript(side, "o-a").run([("这次会开得很好，3分", ["已更新", "3 分"])])
    Transcript(side, "o-a").run([("会议很好，5分", ["已更新", "5 分"])])
    with w.linli.factory() as s:
        assert s.scalars(select(Signup.rating).where(Signup.openid == "o-a")).one() == 5


def test_staff_create_a_meeting_by_chat(world: World, wechat: WeChatSide) -> None:
    Transcript(wechat, "o-grid").run([("创建会议", ["网格员不能创建会议", "社工"])])  # 网格员 may not
    Transcript(wechat, "o-boss").run([
        ("创建会议", "会议名称"),
        ("停车位分配协调会", "会议时间"),      # the type is read from the title
        ("明天", "没看懂这个时间"),
        ("下周三下午两点", "会议地点"),
        ("社区活动室", "最多多少人"),
        ("很多", "请回复一个数字"),
        ("30", ["请确认", "停车位分配协调会", "协调会", "社区活动室", "30", "黄巷社区"]),
        ("1", "会议已创建，编号"),
    ])
    Transcript(wechat, "o-a").run([("会议", ["停车位分配协调会", "14:00", "剩余 30 个名额"])])
    Transcript(wechat, "o-boss").run([
        ("创建会议 楼道议事", "会议类型是"),
        ("5", "会议时间"),
        ("取消", "已取消"),
    ])


def test_unknown_rate_command_without_meetings_is_answered(world: World, wechat: WeChatSide) -> None:
    Transcript(wechat, "o-a").run([("评价会议 3", ["没有待评价的会议", "!没太明白"])])
    with transaction(world.linli.factory) as s:
        assert s is not None
