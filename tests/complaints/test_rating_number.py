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
        ("4分", [f"给 {t} 打 4 分", "回复 1 确认"]),
        ("1", ["谢谢您的评价（4分）", t]),
        (f"查询 {t}", "已评价"),
    ])


def test_a_bare_score_can_be_declined_and_means_nothing_without_a_resolved_request(world: World) -> None:
    t = _resolved(world)
    world.talk("o-a").run([("5", f"给 {t} 打 5 分"), ("2", "!谢谢您的评价"), (f"查询 {t}", "已办结")])
    world.talk("o-b").run([("5", ["!打 5 分"])])   # nothing of theirs waits for a rating
