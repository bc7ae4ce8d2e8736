"""Traps an exploratory tester found in signing up: a list position read as a meeting
number, `报名 1 2人` booking one place without a word, and "可报名候补" shown to someone who
already has a place."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from models.meetings import Signup
from tests.meetings.conftest import World
from tests.wechat_side import Transcript, WeChatSide

ROW = re.compile(r"^(?:(\d+)\. )?【编号(\d+)】(\S+?)（", re.M)


def signups(w: World, meeting_id: int) -> int:
    with w.linli.factory() as s:
        return s.scalar(select(func.count()).select_from(Signup).where(
            Signup.meeting_id == meeting_id, Signup.status != "cancelled")) or 0


def test_list_rows_are_led_by_the_meeting_number(world: World, wechat: WeChatSide) -> None:
    world.meeting(title="白马小区现场办公会", kind="现场办公会", scope=world.far_scope)   # not o-a's
    later = world.meeting(title="加装电梯恳谈会", starts_in=timedelta(days=5))
    sooner = world.meeting(title="停车协调会", kind="协调会", starts_in=timedelta(days=2))
    reply = wechat.say("o-a", "我要报名")
    rows = ROW.findall(reply)
    # no list position beside the number: a row is led by the meeting's own number alone
    assert [(n, int(i), t) for n, i, t in rows] == [
        ("", sooner, "停车协调会"), ("", later, "加装电梯恳谈会")], reply
    assert f"例如：报名 {sooner}" in reply
    # a resident who types the number they saw next to 停车协调会 gets 停车协调会
    Transcript(wechat, "o-a").run([(f"报名 {sooner}", ["报名成功", "停车协调会"])])
    assert signups(world, later) == 0


def test_pick_takes_the_meeting_number_not_a_position(world: World, wechat: WeChatSide) -> None:
    world.meeting(title="白马小区现场办公会", kind="现场办公会", scope=world.far_scope)
    first = world.meeting(title="加装电梯恳谈会")
    second = world.meeting(title="停车协调会", kind="协调会")
    Transcript(wechat, "o-b").run([
        (f"报名 {first}", "报名成功"),
        (f"报名 {second}", "报名成功"),
        ("取消会议报名", ["哪一个", f"【编号{first}】", f"【编号{second}】", "回复编号", "!1. "]),
        ("1", "!已取消"),      # a position is not a meeting number here
        ("取消会议报名", "哪一个"),
        (str(second), "已取消报名“停车协调会”"),
    ])
    assert signups(world, first) == 1 and signups(world, second) == 0


def test_sign_up_for_several_people_is_not_booked_silently(world: World, wechat: WeChatSide) -> None:
    mid = world.meeting(capacity=5)
    Transcript(wechat, "o-a").run([
        (f"报名 {mid} 2人", ["每人请各自报名", f"报名 {mid}", "自己的微信", "!报名成功"]),
        (f"我和老伴报名 {mid}", ["每人请各自报名", "!报名成功"]),
    ])
    assert signups(world, mid) == 0
    Transcript(wechat, "o-a").run([(f"报名 {mid}", "报名成功")])
    assert signups(world, mid) == 1


def test_full_meeting_does_not_offer_the_waitlist_to_those_already_in(world: World,
                                                                       wechat: WeChatSide) -> None:
    mid = world.meeting(capacity=1)
    Transcript(wechat, "o-a").run([(f"报名 {mid}", "报名成功"),
                                   ("会议", ["（您已报名）", "!可报名候补", "!名额已满"])])
    Transcript(wechat, "o-b").run([("会议", "名额已满，可报名候补"),
                                   (f"报名 {mid}", "候补第 1 位"),
                                   ("会议", ["（您在候补第 1 位）", "!可报名候补"])])
    Transcript(wechat, "o-c").run([("会议", "名额已满，可报名候补（当前候补 1 人）")])


def test_my_signups_and_my_checkin_code(world: World, wechat: WeChatSide) -> None:
    first = world.meeting(title="加装电梯恳谈会", capacity=5)
    Transcript(wechat, "o-a").run([("我的报名", "没有报名的会议")])
    reply = wechat.say("o-a", f"报名 {first}")
    code = re.search(r"签到码：(\d+)", reply)[1]  # type: ignore[index]
    Transcript(wechat, "o-a").run([
        ("我的报名", ["您报名的会议", f"【编号{first}】加装电梯恳谈会", f"签到码 {code}", f"取消报名 {first}"]),
        ("签到码是多少", [f"签到码 {code}", "!工作人员权限", "!没太明白"]),
        ("我报名了哪些会", f"【编号{first}】"),
    ])
    assert signups(world, first) == 1   # asking signed nobody up again


def test_asked_which_meeting_the_resident_answers_with_its_number(world: World, wechat: WeChatSide) -> None:
    first = world.meeting(title="加装电梯恳谈会")
    second = world.meeting(title="电瓶车停放协调会", kind="协调会", starts_in=timedelta(days=3))
    Transcript(wechat, "o-a").run([
        ("我想报名参加会议", ["您想报名哪个会议", f"【编号{second}】"]),
        (str(second), ["报名成功", "电瓶车停放协调会"]),
    ])
    assert signups(world, second) == 1 and signups(world, first) == 0
