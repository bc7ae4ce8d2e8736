"""A dialog left past dialog.timeout_minutes: a step left half done is announced as timed
out; a state that only kept a finished step open for follow-ups (a filed request, the
menu) expires without a word."""
from __future__ import annotations

from tests.complaints.conftest import World


def test_a_half_done_step_that_expired_is_announced(world: World) -> None:
    world.talk("o-new").run([("绑定", "住址")])
    world.later(minutes=11)
    world.talk("o-new").run([("你好", ["已超时", "您好"])])


def test_a_filed_request_or_the_menu_expires_without_a_word(world: World) -> None:
    world.talk("o-a").run([("楼道灯坏了三天了", "已收到您的诉求")])
    world.later(minutes=11)
    world.talk("o-a").run([("你好", ["您好", "!已超时"])])   # the menu is now open
    world.later(minutes=11)
    world.talk("o-a").run([("我的诉求", ["您家反映的问题", "!已超时"])])
