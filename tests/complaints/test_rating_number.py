"""Answering the "please rate" push with a bare number (5, 4分), as most residents do."""
from __future__ import annotations

from tests.complaints.conftest import World


def _resolved(world: World) -> str:
    t = world.ticket_of(world.say("o-a", "诉求 楼道灯坏了三天了"))
    world.say("o-grid", f"受理 {t}")
    world.say("o-grid", f"办结 {t} 已更换楼道灯泡")
    world.later(minutes=11)
    return t


def test_a_bare_score_rates_the_request_waiting_for_it_after_one_confirmation(world: World) -> None:
    t = _resolved(world)
    world.talk("o-a").run([
        ("4分", [f"给 {t}（设施报修：楼道灯坏了三天了）打 4 分", "回复 1 确认"]),
        ("1", ["谢谢您的评价（4分）", t]),
        (f"查询 {t}", "已评价"),
    ])


def test_a_bare_score_can_be_declined_and_means_nothing_without_a_resolved_request(world: World) -> None:
    t = _resolved(world)
    world.talk("o-a").run([("5", f"给 {t}（"), ("2", "!谢谢您的评价"), (f"查询 {t}", "已办结")])
    world.talk("o-b").run([("5", ["!打 5 分"])])   # nothing of theirs waits for a rating


def test_with_two_requests_waiting_the_resident_is_asked_which(world: World) -> None:
    t1 = _resolved(world)
    t2 = world.ticket_of(world.say("o-a", "诉求 小区门口垃圾桶满了"))
    world.say("o-grid", f"受理 {t2}")
    world.say("o-grid", f"办结 {t2} 已清运")
    world.later(minutes=11)
    world.talk("o-a").run([
        ("广场舞的事解决了，给4分吧", ["评价哪一条", f"回复 1：{t2}", f"回复 2：{t1}", "楼道灯坏了三天了"]),
        ("2", ["谢谢您的评价（4分）", t1]),
        (f"查询 {t2}", "已办结"),          # the other one still waits
    ])


def test_a_number_after_my_requests_opens_that_line_never_a_score(world: World) -> None:
    t1 = _resolved(world)
    t2 = world.ticket_of(world.say("o-a", "诉求 小区门口垃圾桶满了"))
    world.talk("o-a").run([
        ("我的诉求", [f"1. {t2}", f"2. {t1}", "回复前面的数字"]),
        ("2", [t1, "已办结：已更换楼道灯泡", "!打 2 分"]),
    ])


def test_a_bare_1_or_2_is_never_taken_for_a_low_score(world: World) -> None:
    t = _resolved(world)
    world.talk("o-a").run([("1", ["!打 1 分"]), ("取消", "没有进行中的操作")])
    world.talk("o-a").run([("2分", [f"给 {t}（", "打 2 分"]), ("2", "没有办理")])
    world.talk("o-a").run([(f"查询 {t}", "已办结")])
