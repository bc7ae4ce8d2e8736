"""What an exploratory tester found around filing: answers that are not a problem, 取消 after
filing, the duplicate offer, follow-up details, staff told of a new request, and the staff
side's wording (confirmations, the flat, who was told)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models.complaints import Complaint
from tests.complaints.conftest import World

T1 = "TS20261127-0001"
T2 = "TS20261127-0002"


def _tickets(world: World) -> list[tuple[str, str, str]]:
    with world.app.extensions["linli"].factory() as s:
        return [(c.ticket, c.text, c.state) for c in s.scalars(select(Complaint).order_by(Complaint.id))]


# 1. The ask-for-content step ---------------------------------------------------------------

@pytest.mark.parametrize("never_mind", ["算了", "不用了", "不办了", "不报了", "没事了", "算了吧。"])
def test_never_mind_while_asked_for_the_problem_files_nothing(world: World, never_mind: str) -> None:
    world.talk("o-a").run([
        ("我要投诉", "说说是什么问题"),
        (never_mind, ["好的，已取消", "!TS2026"]),
    ])
    assert _tickets(world) == []


@pytest.mark.parametrize("not_a_problem", ["？", "👍", "7", "3", "在吗", "好的"])
def test_an_answer_that_names_no_problem_is_asked_again_with_an_example(world: World, not_a_problem: str) -> None:
    world.talk("o-a").run([
        ("我要投诉", "说说是什么问题"),
        (not_a_problem, ["还没听明白", "比如", "!TS2026"]),
        ("楼道灯坏了三天了", ["已收到您的诉求", T1]),
    ])
    assert _tickets(world) == [(T1, "楼道灯坏了三天了", "submitted")]


def test_asked_twice_the_resident_is_let_go_without_a_ticket(world: World) -> None:
    world.talk("o-a").run([
        ("报修", "说说是什么问题"),
        ("？", "还没听明白"),
        ("7", "!TS2026"),
    ])
    assert _tickets(world) == []


@pytest.mark.parametrize("verb_only", ["有个事情要反映", "我要提个建议"])
def test_a_filing_verb_alone_asks_what_the_problem_is(world: World, verb_only: str) -> None:
    world.talk("o-a").run([
        (verb_only, ["说说是什么问题", "!TS2026"]),
        ("小区门口加个减速带", ["已收到您的诉求", T1]),
    ])
    assert _tickets(world) == [(T1, "小区门口加个减速带", "submitted")]


# 2. 取消 after filing ----------------------------------------------------------------------

@pytest.mark.parametrize("cancel", ["取消", "算了"])
def test_cancel_after_filing_says_the_request_stays_submitted(world: World, cancel: str) -> None:
    world.talk("o-a").run([
        ("楼道灯坏了三天了没人修", T1),
        (cancel, [T1, "已经提交了", "不会撤回", "工作人员会看到", f"查询 {T1}", "!已取消"]),
    ])
    assert _tickets(world)[0][2] == "submitted"


# 3. The duplicate offer --------------------------------------------------------------------

def test_the_offer_shows_the_earlier_text_and_a_no_files_the_new_report(world: World) -> None:
    world.say("o-a", "门口那棵树的树枝快断了，怕砸到人")
    world.later(minutes=30)
    world.talk("o-a").run([
        ("楼道里有人堆了好多旧家具", ["您家之前反映过", T1, "树枝快断了", "“楼道里有人堆了好多旧家具”",
                             "回复 1 是（补充到", "回复 2 不是"]),
        ("2", ["已收到您的诉求", T2]),
    ])
    texts = [text for _, text, _ in _tickets(world)]
    assert len(texts) == 2 and "树枝快断了" in texts[0] and texts[1] == "楼道里有人堆了好多旧家具"


def test_yes_to_own_earlier_request_keeps_the_new_words_on_it(world: World) -> None:
    world.say("o-a", "楼道里堆的纸箱子一直没人清")
    world.later(minutes=30)
    world.talk("o-a").run([
        ("楼道里有人堆了好多旧家具", ["您家之前反映过", T1, "纸箱子"]),
        ("1", [f"补充到 {T1}", "楼道里有人堆了好多旧家具", "!这是您家反映过的"]),
        (f"查询 {T1}", ["补充：楼道里有人堆了好多旧家具"]),
    ])
    assert len(_tickets(world)) == 1
    assert "楼道里有人堆了好多旧家具" in world.say("o-grid", f"查询 {T1}")


def test_category_other_is_never_offered_as_the_same_problem(world: World) -> None:
    world.talk("o-a").run([("诉求 想问问快递柜什么时候装", ["其他", T1])])
    world.talk("o-b").run([("诉求 小区里能不能多放几个长椅", [T2, "!是否与"])])


# 4. Follow-up details ----------------------------------------------------------------------

def test_details_right_after_filing_are_added_to_that_request(world: World) -> None:
    world.talk("o-a").run([
        ("楼上漏水漏到我家了", ["已收到您的诉求", T1]),
        # read as another category (邻里纠纷): asked, and 1 adds it
        ("卫生间天花板一直在滴，楼上602没人在家", [f"补充到 {T1}", "还是另一个问题"]),
        ("1", [f"已补充到 {T1}", "天花板一直在滴", "再报一个"]),
        ("楼上602没人在家，电话也打不通", f"补充到 {T1}"),    # read as a problem of its own: asked
        ("1", f"已补充到 {T1}"),
        (f"查询 {T1}", ["补充：卫生间天花板一直在滴", "补充：楼上602没人在家"]),
    ])
    assert [t for t, _, _ in _tickets(world)] == [T1]


def test_another_problem_said_plainly_is_a_new_request(world: World) -> None:
    world.talk("o-a").run([
        ("楼上漏水漏到我家了", T1),
        ("另外，楼下路灯不亮", ["已收到您的诉求", T2]),
        ("再报一个", "说说是什么问题"),
        ("单元门关不上", ["已收到您的诉求", "TS20261127-0003"]),
    ])
    assert [text for _, text, _ in _tickets(world)] == ["楼上漏水漏到我家了", "楼下路灯不亮", "单元门关不上"]


def test_other_intents_and_commands_still_go_their_way_after_filing(world: World) -> None:
    world.talk("o-a").run([
        ("楼上漏水漏到我家了", T1),
        ("我的诉求", ["您家反映的问题", T1, "!已补充"]),
        ("诉求 3号楼门口垃圾没人清", ["已收到您的诉求", T2]),
    ])


def test_after_the_attach_window_a_report_is_a_new_request(world: World) -> None:
    world.say("o-a", "楼上漏水漏到我家了")
    world.later(minutes=11)
    world.talk("o-a").run([("楼道里有人堆了好多旧家具", ["!已补充", T2])])


# 5. Staff told of a new request ------------------------------------------------------------

def test_staff_of_the_household_are_told_of_a_new_request_once(world: World) -> None:
    world.say("o-a", "楼上漏水漏到我家了")
    world.say("o-a", "卫生间天花板一直在滴")          # a supplement: no second notice
    for staff in ("o-grid", "o-social", "o-head"):
        told = [p for p in world.pushes(staff) if "【新诉求】" in p]
        assert len(told) == 1, (staff, told)
        assert all(part in told[0] for part in (T1, "设施报修", "黄巷新村3号楼2单元301室",
                                                  "楼上漏水漏到我家了", f"回复“受理 {T1}”")), told[0]
    assert world.pushes("o-a") == []


# 6–8. The staff side -----------------------------------------------------------------------

def test_free_text_staff_commands_are_confirmed_in_words(world: World) -> None:
    world.say("o-a", "楼上漏水漏到我家了")
    world.talk("o-head").run([
        ("这个水管的事交给王建国去办", ["您是要把", "还没写编号", "转给王建国吗", "!complaint."]),
        ("2", "没有办理"),
        (f"把 {T1} 转给王社工", [f"您是要把 {T1} 转给王社工吗", "!complaint."]),
        ("1", f"已把 {T1} 转给 王社工"),
    ])


def test_every_staff_request_intent_has_a_description(world: World) -> None:
    d = world.app.extensions["linli"].dispatcher
    staff = [spec for name, spec in d.intents.items() if name.startswith("complaint.") and spec.staff]
    assert len(staff) >= 7
    assert [spec.name for spec in staff if spec.describe is None] == []


def test_staff_see_the_flat_in_todo_query_and_assignment(world: World) -> None:
    world.say("o-c", "诉求 5号楼门口垃圾没清")
    assert "黄巷新村5号楼2单元101室" in world.say("o-grid", "待办")
    assert "地点：黄巷新村5号楼2单元101室" in world.say("o-grid", f"查询 {T1}")
    assert "地点：" not in world.say("o-c", f"查询 {T1}")
    world.say("o-head", f"转办 {T1} 王社工")
    assert any("【转办】" in p and "黄巷新村5号楼2单元101室" in p for p in world.pushes("o-social"))


def test_reassigning_a_request_in_progress_says_who_was_told(world: World) -> None:
    world.say("o-a", "诉求 3号楼楼道灯坏了")
    world.talk("o-head").run([(f"转办 {T1} 王社工", "已通知居民和王社工")])
    told_resident = len(world.pushes("o-a"))
    world.talk("o-head").run([(f"转办 {T1} 李网格", [f"已把 {T1} 转给 李网格", "已通知李网格",
                                                   "没有再通知居民", "!已通知居民和"])])
    assert len(world.pushes("o-a")) == told_resident
    assert any("【转办】" in p for p in world.pushes("o-grid"))
