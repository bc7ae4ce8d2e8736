"""The whole loop by chat: file → accept → resolve (pushed) → rate → closed; and the
resident's other answers: reopen, reject, merge, duplicates, privacy, staff-only."""
from __future__ import annotations

from sqlalchemy import func, select

from models.complaints import Complaint, ComplaintEvent, ComplaintFollower
from tests.complaints.conftest import World


def test_file_accept_resolve_rate_close(world: World) -> None:
    reply = world.say("o-a", "楼道灯坏了三天了没人修")
    assert "TS20261127-0001" in reply and "设施报修" in reply
    assert "我们会尽快受理" in reply and "查询 TS20261127-0001" in reply
    t = "TS20261127-0001"
    world.talk("o-grid").run([
        (f"受理 {t}", [f"已受理 {t}", "已通知居民"]),
    ])
    assert any("已受理" in p and t in p for p in world.pushes("o-a"))
    world.later(hours=3)
    world.talk("o-grid").run([
        (f"办结 {t} 已更换楼道灯泡", f"已办结 {t}"),
        (f"受理 {t}", "该诉求已办结，不能再受理"),
    ])
    pushed = world.pushes("o-a")[-1]
    assert "已办结" in pushed and "已更换楼道灯泡" in pushed and f"评价 {t} 5" in pushed
    world.talk("o-a").run([
        ("我的诉求", [t, "已办结"]),
        (f"查询 {t}", ["已受理", "已办结：已更换楼道灯泡", "经办：李网格"]),
        (f"评价 {t} 5 很及时", ["谢谢您的评价（5分）", "已归档"]),
        (f"评价 {t} 4", "已经评价过了"),
        ("我的诉求", [t, "已评价"]),
    ])
    c = world.complaint(t)
    assert (c.state, c.rating, c.rating_comment) == ("closed", 5, "很及时")
    with world.app.extensions["linli"].factory() as s:
        steps = s.execute(select(ComplaintEvent.from_state, ComplaintEvent.to_state,
                                 ComplaintEvent.actor_kind)
                          .where(ComplaintEvent.complaint_id == c.id)
                          .order_by(ComplaintEvent.id)).all()
    assert steps == [(None, "submitted", "resident"), ("submitted", "accepted", "staff"),
                     ("accepted", "resolved", "staff"), ("resolved", "closed", "resident")]


def test_reopen_goes_back_to_in_progress_and_tells_the_assignee(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.say("o-grid", f"受理 {t}")
    world.say("o-grid", f"办结 {t} 已更换灯泡")
    world.talk("o-a").run([
        ("还是坏的", ["您是要重新打开", t, "回复 1 确认"]),
        ("1", [f"已重新打开 {t}", "告诉了工作人员"]),
        (f"评价 {t} 5", "现在是“处理中”，办结后才能评价"),
    ])
    assert world.complaint(t).state == "in_progress"
    told = world.pushes("o-grid")
    assert any("诉求重开" in p and t in p and "还是坏的" in p for p in told)
    assert not any("诉求重开" in p for p in world.pushes("o-social"))   # only the assignee
    world.talk("o-a").run([("没修好", ["没有刚办结的问题", "!您是要"])])   # nothing to confirm


def test_reopen_without_assignee_tells_all_staff(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.say("o-head", f"受理 {t}")
    with world.app.extensions["linli"].factory.begin() as s:
        s.get(Complaint, world.complaint(t).id).assignee_id = None
    world.say("o-head", f"办结 {t} 已修")
    world.say("o-a", f"没修好 {t}")
    world.say("o-a", "1")
    for staff in ("o-grid", "o-social", "o-head"):
        assert any("诉求重开" in p for p in world.pushes(staff)), staff


def test_reject_tells_the_reason_and_ends_the_request(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "投诉 对面商场的广告牌太亮了"))
    world.talk("o-social").run([
        (f"驳回 {t}", "请写上驳回原因"),
        (f"驳回 {t} 不属于社区管理范围，请拨打12345", f"已驳回 {t}"),
        (f"受理 {t}", "该诉求已驳回，不能再受理"),
        (f"办结 {t} 好了", "该诉求已驳回，不能再办结"),
    ])
    assert any("不予受理：不属于社区管理范围" in p for p in world.pushes("o-a"))
    assert world.complaint(t).state == "rejected"
    world.talk("o-a").run([(f"查询 {t}", ["不予受理", "不属于社区管理范围"])])


def test_duplicate_offer_follow_instead_of_a_new_ticket(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.talk("o-b").run([
        ("楼道的灯不亮了", [f"是否与 {t} 为同一问题？", "回复 1 是", "回复 2 不是"]),
        ("1", [f"已为您关注 {t}", "进展会通知您"]),
        (f"查询 {t}", [t, "已提交"]),
    ])
    with world.app.extensions["linli"].factory() as s:
        assert s.scalar(select(func.count()).select_from(Complaint)) == 1
        assert s.scalars(select(ComplaintFollower.openid)).all() == ["o-b"]
    world.say("o-grid", f"受理 {t}")
    assert any("已受理" in p and t in p for p in world.pushes("o-b"))
    # "2" makes a new ticket after all; another building is never offered this one.
    world.talk("o-b").run([("楼道灯又坏了", "是否与"), ("2", "TS20261127-0002")])
    world.talk("o-c").run([("楼道灯坏了", ["TS20261127-0003", "!是否与"])])
    world.later(minutes=11)     # past the attach window: a new report, offered as her own
    world.talk("o-b").run([("楼道灯坏了好几天了", ["您家之前反映过", "TS20261127-0002", "“楼道灯又坏了”"]),
                           ("1", ["补充到 TS20261127-0002", "楼道灯坏了好几天了"])])


def test_merge_moves_residents_to_the_kept_request(world: World) -> None:
    t1 = world.ticket_of(world.say("o-a", "诉求 3号楼门口垃圾没人清理"))
    world.talk("o-b").run([("诉求 楼下垃圾堆了好几天", "是否与"), ("2", "已收到您的诉求")])
    t2 = "TS20261127-0002"
    world.talk("o-grid").run([
        (f"合并 {t2}", "请写两个编号"),
        (f"合并 {t2} {t2}", "不能把诉求合并到它自己"),
        (f"合并 {t2} {t1}", [f"已把 {t2} 合并到 {t1}"]),
        (f"受理 {t2}", "该诉求已合并，不能再受理"),
    ])
    assert any("已合并" in p and t1 in p for p in world.pushes("o-b"))
    assert world.complaint(t2).merged_into_id == world.complaint(t1).id
    world.say("o-grid", f"受理 {t1}")
    world.say("o-grid", f"办结 {t1} 已清运")
    assert any("已办结" in p and t1 in p for p in world.pushes("o-b"))
    world.talk("o-b").run([("我的诉求", [t1, t2, "已合并"])])


def test_another_household_cannot_read_a_request(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 我家门口水管漏水"))
    missing = world.say("o-c", "查询 TS20261127-0999")
    assert "没有找到这个编号" in missing
    assert world.say("o-c", f"查询 {t}") == missing
    assert world.say("o-c", f"评价 {t} 1") == world.say("o-c", "评价 TS20261127-0999 1")
    assert "我家门口水管漏水" not in world.say("o-c", "我的诉求")
    assert "绑定" in world.say("o-new", f"查询 {t}")
    assert "我家门口水管漏水" in world.say("o-grid", f"查询 {t}")   # staff see every ticket


def test_staff_commands_are_refused_to_residents(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 楼道灯坏了"))
    for command in (f"受理 {t}", f"办结 {t} 修好了", f"驳回 {t} 不管", f"转办 {t} 李网格",
                    f"合并 {t} TS20261127-0009", "待办"):
        reply = world.say("o-b", command)
        assert "需要工作人员权限" in reply, (command, reply)
    assert world.complaint(t).state == "submitted"
    assert world.pushes("o-a") == []
