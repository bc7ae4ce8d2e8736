"""Right after filing, a message about another kind of problem is neither swallowed as a
supplement nor filed blindly: the resident is asked which it is."""
from __future__ import annotations

from tests.complaints.conftest import World

T1, T2 = "TS20261127-0001", "TS20261127-0002"


def test_another_kind_of_problem_right_after_filing_is_asked_about(world: World) -> None:
    world.talk("o-a").run([
        ("楼下有人天天晚上跳广场舞，太吵了", ["已收到您的诉求", T1]),
        ("小区门口垃圾桶满出来了臭得要命", [f"补充到 {T1}", "噪音", "还是另一个问题", "!已补充"]),
        ("2", ["已收到您的诉求", T2, "!已补充"]),
    ])


def test_said_plainly_as_another_it_is_filed_with_a_clean_text(world: World) -> None:
    world.talk("o-a").run([
        ("楼下有人天天晚上跳广场舞，太吵了", T1),
        ("还有一个事情，楼道里堆满了旧家具", ["已收到您的诉求", T2]),
        (f"查询 {T2}", ["楼道里堆满了旧家具", "!情"]),
        ("对了，小区门口垃圾桶满了", ["已收到您的诉求", "TS20261127-0003"]),
    ])


def test_i_cannot_say_is_no_problem_text(world: World) -> None:
    world.talk("o-a").run([
        ("我要投诉", "说说是什么问题"),
        ("那个，我也说不清楚", ["!已收到您的诉求", "还没听明白"]),
    ])


def test_the_same_kind_of_problem_elsewhere_is_asked_about_too(world: World) -> None:
    world.talk("o-a").run([
        ("楼道灯坏了三天了", T1),
        ("3号楼1单元的单元门坏了关不上", [f"补充到 {T1}", "还是另一个问题", "!已补充"]),
        ("2", ["已收到您的诉求", T2]),
    ])


def test_more_words_before_answering_are_kept_with_the_first(world: World) -> None:
    world.talk("o-a").run([
        ("楼下有人天天晚上跳广场舞，太吵了", T1),
        ("晚上经常有陌生人进来，不安全", "还是另一个问题"),
        ("上周还丢了一辆电动车", ["还是另一个问题", "!没太明白"]),
        ("2", ["已收到您的诉求", T2]),
        (f"查询 {T2}", ["陌生人进来", "丢了一辆电动车"]),
    ])
