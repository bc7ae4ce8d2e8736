"""What an exploratory tester found between staff and residents: merging unrelated requests,
reassigning without a trace, list numbers and short numbers after 待办, staff words read as a
resident's rating, and a low score that says the problem is still there."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models.community import Community
from models.complaint_handover import merge
from models.complaint_rules import SYSTEM, TransitionError
from models.complaints import Complaint
from tests.complaints.conftest import World


# 1. Merging -----------------------------------------------------------------------------------

def test_merging_requests_of_another_category_and_building_shows_both_and_asks(world: World) -> None:
    rail = world.ticket_of(world.say("o-a", "诉求 楼梯扶手松了"))         # 3号楼, 设施报修
    rubbish = world.ticket_of(world.say("o-c", "诉求 楼下垃圾没人清"))    # 5号楼, 环境卫生
    world.say("o-head", f"转办 {rubbish} 李网格")
    world.talk("o-head").run([
        (f"合并 {rubbish} {rail}", ["类别和楼栋不一样", "环境卫生", "5号楼2单元101室", "楼下垃圾没人清",
                                   "设施报修", "3号楼2单元301室", "楼梯扶手松了", "回复 1 合并", "回复 2 取消",
                                   "!已把"]),
        ("2", "没有合并"),
    ])
    assert world.complaint(rubbish).state == "in_progress"
    world.talk("o-c").run([("我的诉求", [rubbish, "!" + rail])])
    world.talk("o-head").run([(f"合并 {rubbish} {rail}", "回复 1 合并"),
                              ("1", f"已把 {rubbish} 合并到 {rail}")])
    assert world.complaint(rubbish).state == "merged"
    told = world.pushes("o-grid")[-1]          # 李网格 had the rubbish: told where it went
    assert "已合并" in told and rubbish in told and rail in told and "不用再单独处理" in told


def test_merging_the_same_problem_in_the_same_building_asks_nothing(world: World) -> None:
    a = world.ticket_of(world.say("o-a", "诉求 楼道灯坏了"))
    world.talk("o-b").run([("诉求 楼道灯不亮了", "是否与"), ("2", "已收到您的诉求")])
    world.talk("o-grid").run([(f"合并 TS20261127-0002 {a}", ["已把 TS20261127-0002 合并到", "!回复 1 合并"])])


def test_requests_of_two_communities_are_never_merged(world: World) -> None:
    a = world.ticket_of(world.say("o-a", "诉求 楼道灯坏了"))
    b = world.ticket_of(world.say("o-c", "诉求 楼道灯也坏了"))
    with world.app.extensions["linli"].factory() as s:
        other = Community(name="东湖社区")
        s.add(other)
        s.flush()
        child = s.scalars(select(Complaint).where(Complaint.ticket == b)).one()
        parent = s.scalars(select(Complaint).where(Complaint.ticket == a)).one()
        child.community_id = other.id
        for confirmed in (False, True):
            with pytest.raises(TransitionError, match="不是同一个社区"):
                merge(s, child, parent, SYSTEM, world.clock[0], confirmed=confirmed)
        assert child.state == "submitted"


# 2. Reassigning -------------------------------------------------------------------------------

def test_reassigning_a_request_in_progress_is_on_the_timeline_and_tells_who_had_it(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 楼道灯坏了"))
    world.talk("o-head").run([
        (f"转办 {t} 李网格", "已通知居民和李网格"),
        (f"转办 {t} 王社工", [f"已把 {t} 转给 王社工", "没有再通知居民", "也告诉了李网格不用再处理",
                            "!已通知居民和"]),
        (f"转办 {t} 王社工", "已经由王社工在办了"),
    ])
    left = world.pushes("o-grid")[-1]
    assert t in left and "已转给王社工" in left and "不用再处理" in left
    assert any("【转办】" in p and t in p for p in world.pushes("o-social"))
    assert len(world.pushes("o-a")) == 1                    # the resident heard of 处理中 once
    detail = world.say("o-head", f"查询 {t}")
    steps = [line for line in detail.splitlines() if line.startswith("·")]
    assert steps[-1].endswith("转给王社工") and steps[-2].endswith("转给李网格") and "经办：王社工" in detail


# 3. Numbers after 待办 ------------------------------------------------------------------------

def test_a_list_number_after_todo_names_that_ticket(world: World) -> None:
    first = world.ticket_of(world.say("o-a", "诉求 楼道灯坏了"))
    second = world.ticket_of(world.say("o-c", "诉求 楼下垃圾没人清"))
    world.talk("o-grid").run([
        ("待办", [f"1. {first}", f"2. {second}", "受理 1"]),
        ("受理 2", [f"您是要受理 {second}", "环境卫生", "5号楼", "!还没写编号"]),
        ("1", f"已受理 {second}"),
    ])
    assert world.complaint(first).state == "submitted"
    world.talk("o-grid").run([("待办", "待办诉求 2 条"), ("受理 7", ["没找到“7”", "受理 TS", "待办"])])


def test_a_short_number_is_today_s_ticket_if_the_staff_member_handles_it(world: World) -> None:
    world.say("o-a", "诉求 楼道灯坏了")
    fourth = "TS20261127-0002"
    world.say("o-c", "诉求 楼下垃圾没人清")
    world.talk("o-grid").run([
        ("受理 0002", [f"您是要受理 {fourth}", "!还没写编号"]),
        ("1", f"已受理 {fourth}"),
        ("受理 0009", ["没找到“0009”", "完整编号", "待办", "!您是要"]),
        ("1", "!已受理"),
    ])


# 4. Staff words read as a resident's ---------------------------------------------------------

def test_staff_saying_done_with_a_ticket_is_offered_resolve(world: World) -> None:
    t = world.ticket_of(world.say("o-c", "诉求 楼下垃圾没人清"))
    world.say("o-grid", f"受理 {t}")
    world.talk("o-grid").run([
        (f"我已经处理好了{t}，杂物已清走", [f"您是要办结 {t}（说明：杂物已清走）吗", "!绑定"]),
        ("1", f"已办结 {t}"),
    ])
    assert any("已办结：杂物已清走" in p for p in world.pushes("o-c"))


def test_staff_saying_done_without_a_ticket_are_told_the_staff_form(world: World) -> None:
    world.talk("o-grid").run([
        ("已经修好了", ["办结 编号 说明", "!绑定"]),
        ("查询 TS20261127-0999", ["没有找到这个编号", "待办", "!查看您家的问题"]),
        ("受理 TS20261127-0999", ["没有找到这个编号", "!查看您家的问题"]),
    ])


# 5. A low score that says it is not fixed ----------------------------------------------------

def _resolved(world: World) -> str:
    t = world.ticket_of(world.say("o-a", "诉求 楼道灯坏了"))
    world.say("o-grid", f"受理 {t}")
    world.say("o-grid", f"办结 {t} 已换灯泡")
    return t


def test_a_low_score_saying_still_broken_can_reopen(world: World) -> None:
    t = _resolved(world)
    world.talk("o-a").run([
        (f"评价 {t} 2 灯还是不亮", ["回复 1 重新处理（工作人员会再来）", "回复 2 就按 2 分评价归档", "!已归档"]),
        ("1", f"已重新打开 {t}"),
    ])
    assert world.complaint(t).state == "in_progress"
    assert any("诉求重开" in p and "灯还是不亮" in p for p in world.pushes("o-grid"))


def test_a_low_score_saying_still_broken_archives_when_the_resident_says_so(world: World) -> None:
    t = _resolved(world)
    world.talk("o-a").run([(f"评价 {t} 1 还是不亮", "回复 2 就按 1 分"), ("2", "谢谢您的评价（1分）")])
    c = world.complaint(t)
    assert c.state == "closed" and c.rating == 1


def test_a_low_score_without_such_words_rates_at_once(world: World) -> None:
    t = _resolved(world)
    world.talk("o-a").run([(f"评价 {t} 2 来得太慢", ["谢谢您的评价（2分）", "!重新处理"])])


def test_a_list_number_the_list_does_not_have_is_not_todays_ticket_of_that_number(world: World) -> None:
    world.ticket_of(world.say("o-a", "诉求 楼道灯坏了"))             # TS…-0001
    second = world.ticket_of(world.say("o-c", "诉求 楼下垃圾没人清"))  # TS…-0002
    world.talk("o-grid").run([(f"驳回 {second} 不属于社区管理范围", "已驳回")])
    world.talk("o-grid").run([
        ("待办", ["待办诉求 1 条"]),
        ("受理 2", ["没找到“2”", "!您是要受理"]),       # the list has one line; 0002 is closed anyway
    ])
    world.talk("o-grid").run([("受理 0002", ["没找到“0002”", "!您是要受理"])])   # closed: no one's task


def test_merge_with_short_numbers_names_both_tickets(world: World) -> None:
    first = world.ticket_of(world.say("o-a", "诉求 楼道灯坏了"))
    second = world.ticket_of(world.say("o-c", "诉求 楼下垃圾没人清"))
    assert (first, second) == ("TS20261127-0001", "TS20261127-0002")
    world.talk("o-head").run([("合并 0002 0001", [second, first, "!还没写编号", "!没找到"])])
    world.talk("o-head").run([("合并 0009 0001", ["没找到“0009”", "!您是要"])])


def test_reject_with_a_list_number_after_todo_rejects_that_request(world: World) -> None:
    first = world.ticket_of(world.say("o-a", "诉求 楼道灯坏了"))
    second = world.ticket_of(world.say("o-c", "诉求 楼下垃圾没人清"))
    world.talk("o-grid").run([
        ("待办", [f"1. {first}", f"2. {second}"]),
        ("驳回 2 不归社区管", [f"已驳回 {second}", "!绑定申请"]),   # typed: at once, like 驳回 TS…
    ])
    assert world.complaint(second).state == "rejected" and world.complaint(first).state == "submitted"
