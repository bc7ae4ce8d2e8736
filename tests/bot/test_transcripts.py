"""The conversation foundations as a resident meets them: help, menu, cancel, unknown,
confirmation of inferred irreversible actions, dialog timeout."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.context import Context
from bot.inbound import Inbound
from bot.reply import Reply
from tests.community.helpers import add_staff
from tests.wechat_side import Transcript, WeChatSide


@pytest.fixture
def talk(wechat: WeChatSide) -> Transcript:
    return Transcript(wechat, "o-talk")


def test_help_shows_a_numbered_menu_and_numbers_work(talk: Transcript) -> None:
    talk.run([
        ("帮助", ["黄巷社区", "1.", "绑定 3号楼2单元301"]),
        ("怎么用", ["1."]),
    ])


def test_greeting(talk: Transcript) -> None:
    talk.run([("你好", ["您好", "1."]), ("在吗", "您好")])


def test_thanks_and_ok_get_a_short_answer_not_the_menu_again(talk: Transcript) -> None:
    talk.run([
        ("你好", "1."),
        ("好的，谢谢", ["不客气", "!1."]),
        ("1", ["没太明白", "!说说是什么问题"]),  # the menu was closed by the thanks
        ("嗯好的 知道了", ["好的", "!1."]),
        ("谢谢你们 辛苦了", "不客气"),
    ])


def test_unknown_is_answered_with_a_short_menu_and_no_action(talk: Transcript, app: Any) -> None:
    from sqlalchemy import func, select

    from models.delivery import Delivery
    talk.run([("今天天气真不错啊哈哈", ["没太明白", "1."]),
              ("asdfgh", ["没太明白"])])
    with app.extensions["linli"].factory() as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 0


def test_cancel_with_nothing_going_on(talk: Transcript) -> None:
    talk.run([("取消", "没有进行中的操作")])


def register_irreversible(app: Any) -> list[str]:
    """A stand-in irreversible family, to test the dialog machinery on its own."""
    done: list[str] = []
    d = app.extensions["linli"].dispatcher

    @d.intent("meeting.cancel", irreversible=True, describe=lambda ctx: "取消会议报名")
    def cancel_signup(ctx: Context, inbound: Inbound) -> Reply:
        done.append(ctx.openid)
        return Reply("已取消报名。")

    return done


def test_inferred_irreversible_action_is_confirmed_first(app: Any, wechat: WeChatSide) -> None:
    done = register_irreversible(app)
    talk = Transcript(wechat, "o-confirm")
    talk.run([("周三的会我去不了了", ["取消会议报名", "回复 1 确认", "回复 2 取消"])])
    assert done == []
    talk.run([("1", "已取消报名")])
    assert done == ["o-confirm"]


def test_confirmation_can_be_declined_or_cancelled(app: Any, wechat: WeChatSide) -> None:
    done = register_irreversible(app)
    talk = Transcript(wechat, "o-decline")
    talk.run([("周三的会我去不了了", "回复 1 确认"), ("2", "没有办理")])
    # 取消 / 不取消 answering "您是要取消会议报名吗？" keep the sign-up, and the reply says so
    talk.run([("周三的会我去不了了", "回复 1 确认"), ("取消", ["没有办理", "!已取消"])])
    talk.run([("周三的会我去不了了", "回复 1 确认"), ("不取消", ["没有办理", "!已取消"])])
    talk.run([("周三的会我去不了了", "回复 1 确认"), ("算了不弄了", ["没有办理", "!已取消"])])
    talk.run([("周三的会我去不了了", "回复 1 确认"), ("帮助", "1."), ("1", "!已取消报名")])
    assert done == []


def test_typed_command_needs_no_confirmation(app: Any, wechat: WeChatSide) -> None:
    done = register_irreversible(app)
    Transcript(wechat, "o-canon").run([("取消报名 5", "已取消报名")])
    assert done == ["o-canon"]


def test_a_dialog_times_out(app: Any, wechat: WeChatSide) -> None:
    done = register_irreversible(app)
    talk = Transcript(wechat, "o-timeout")
    talk.run([("周三的会我去不了了", "回复 1 确认")])
    service = app.extensions["linli"].service
    real = service.clock
    service.clock = lambda: real() + timedelta(minutes=11)
    talk.run([("1", ["超时", "!已取消报名"])])
    assert done == []


def test_a_resident_sending_a_staff_command_is_refused(talk: Transcript, app: Any) -> None:
    done: list[str] = []
    d = app.extensions["linli"].dispatcher

    @d.intent("complaint.accept", staff=True)
    def accept(ctx: Context, inbound: Inbound) -> Reply:
        done.append("accepted")
        return Reply("已受理")

    talk.run([("受理 TS20261127-0012", ["需要工作人员权限", "!已受理"])])
    assert done == []


def test_staff_with_the_right_role_may_act(talk: Transcript, app: Any) -> None:
    done: list[str] = []
    d = app.extensions["linli"].dispatcher

    @d.intent("complaint.accept", staff=True)
    def accept(ctx: Context, inbound: Inbound) -> Reply:
        done.append("accepted")
        return Reply("已受理")

    add_staff(app, "o-talk", "网格员")
    talk.run([("受理 TS20261127-0012", "已受理")])
    assert done == ["accepted"]


def test_a_residents_free_text_read_as_a_staff_command_is_asked_about_not_refused(
        talk: Transcript, app: Any) -> None:
    done: list[str] = []
    d = app.extensions["linli"].dispatcher

    @d.intent("complaint.assign", staff=True)
    def assign(ctx: Context, inbound: Inbound) -> Reply:
        done.append("assigned")
        return Reply("已转办")

    # A resident never typed a command: "you need staff rights" would make no sense to them.
    talk.run([("这个水管的事交给王建国去办", ["没太明白", "1.", "!工作人员权限", "!已转办"])])
    talk.run([("转办 TS20261127-0012 王建国", ["需要工作人员权限", "!已转办"])])  # a typed one is refused
    assert done == []


def test_staff_free_text_is_confirmed_in_words_never_by_intent_name(talk: Transcript, app: Any) -> None:
    add_staff(app, "o-talk", "社工")
    talk.run([("看看这个月的统计数据", ["您是要查看统计吗", "!stats"]), ("1", "统计")])


def test_cancelling_in_free_text_inside_a_dialog_says_it_was_cancelled(talk: Transcript) -> None:
    talk.run([("绑定", "住址"), ("算了不弄了", ["已取消", "!没有进行中的操作"]),
              ("3号楼2单元301", "!姓名")])  # the binding dialog is gone


@pytest.mark.parametrize("ok", ["好的", "嗯", "没事了", "OK了", "我知道了"])
def test_an_ok_with_nothing_open_ends_the_conversation_politely(talk: Transcript, ok: str) -> None:
    talk.run([(ok, ["还有事随时说", "!没太明白"])])


def test_goodbye_gets_a_goodbye_not_the_menu(talk: Transcript) -> None:
    talk.run([("拜拜", ["再见", "!1."]), ("再见啦", "再见")])


def test_an_ok_inside_a_dialog_is_still_the_dialogs_answer(app: Any, wechat: WeChatSide) -> None:
    done = register_irreversible(app)
    Transcript(wechat, "o-ok").run([("周三的会我去不了了", "回复 1 确认"), ("好的", "已取消报名")])
    assert done == ["o-ok"]


def test_staff_help_lists_the_commands_their_role_allows(talk: Transcript, app: Any, wechat: WeChatSide) -> None:
    add_staff(app, "o-grid", "网格员")
    add_staff(app, "o-head", "居委会", name="王主任")
    Transcript(wechat, "o-grid").run([("帮助", ["工作人员可以发", "受理 编号", "办结 编号 说明", "!创建会议"])])
    Transcript(wechat, "o-head").run([("帮助", ["工作人员可以发", "创建会议", "统计", "延长表决 编号 时间"])])
    talk.run([("帮助", ["1.", "!工作人员可以发"])])


def test_a_staff_member_whose_role_lacks_a_command_is_told_who_has_it(wechat: WeChatSide, app: Any) -> None:
    add_staff(app, "o-grid2", "网格员")
    Transcript(wechat, "o-grid2").run([
        ("发布通知", ["网格员不能发布通知", "居委会、社工", "!需要工作人员权限"]),
        ("创建会议", ["网格员不能创建会议"]),
    ])
    Transcript(wechat, "o-resident").run([("发布通知", ["需要工作人员权限", "!网格员"])])


def test_a_number_a_list_does_not_have_goes_to_whoever_expects_it(app: Any, wechat: WeChatSide) -> None:
    d = app.extensions["linli"].dispatcher

    @d.intent("help")
    def show_list(ctx: Context, inbound: Inbound) -> Reply:
        ctx.dialog.set("test.list")
        return Reply("列表：1. 第一条")

    @d.state("test.list", quiet=True)
    def pick(ctx: Context, inbound: Inbound) -> Reply | None:
        if inbound.text == "1":
            return Reply("第一条的全文")
        return d.claimed_elsewhere(ctx) or Reply("请回复列表里的数字")

    @d.fallback
    def rating(ctx: Context, inbound: Inbound) -> Reply | None:
        return Reply("您是要打 5 分吗") if inbound.text == "5" and ctx.dialog.state is None else None

    Transcript(wechat, "o-list").run([
        ("帮助", "列表"), ("5", "打 5 分"),                       # claimed by the rating
        ("帮助", "列表"), ("7", "请回复列表里的数字"), ("1", "第一条的全文"),   # nobody's: the list stays
    ])
