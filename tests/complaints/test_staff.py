"""Staff by chat: 转办 by name, 待办 with overdue first, missing parts asked for."""
from __future__ import annotations

from sqlalchemy import select

from models.complaints import Complaint
from tests.complaints.conftest import World


def test_assign_by_name_tells_the_resident_and_the_assignee(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.talk("o-head").run([
        (f"转办 {t} 张飞", ["没有找到工作人员“张飞”", "王社工"]),
        (f"转办 {t} 王社工", [f"已把 {t} 转给 王社工"]),
    ])
    with world.app.extensions["linli"].factory() as s:
        c = s.scalars(select(Complaint)).one()
        assert c.state == "in_progress" and c.assignee_id is not None
    assert any("转办" in p and t in p for p in world.pushes("o-social"))
    resident = world.pushes("o-a")
    assert len(resident) == 1 and "正在处理中" in resident[0] and "转给王社工" in resident[0]
    world.talk("o-a").run([(f"查询 {t}", ["处理中", "经办：王社工"])])


def test_todo_lists_overdue_first(world: World) -> None:
    old = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.later(hours=30)
    new = world.ticket_of(world.say("o-c", "诉求 5号楼门口垃圾没清"))
    reply = world.say("o-grid", "待办")
    assert "待办诉求 2 条" in reply
    assert reply.index(old) < reply.index(new) and "【超时】" + old in reply
    assert "【超时】" + new not in reply
    world.say("o-grid", f"受理 {old}")
    world.say("o-grid", f"办结 {old} 好了")
    world.say("o-grid", f"办结 {new} 好了")   # refused: not accepted yet
    reply = world.say("o-grid", "待办")
    assert "待办诉求 1 条" in reply and new in reply


def test_missing_parts_are_asked_for(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.talk("o-grid").run([
        ("受理 TS20991231-0001", "没有找到这个编号"),
        (f"受理 {t}", "已受理"),
        (f"受理 {t}", "已经是“已受理”"),
        (f"办结 {t}", "请写上办理说明"),
        (f"办结 {t} 已修好", "已办结"),
        (f"转办 {t} 王社工", "已办结，不能再转办"),
    ])
