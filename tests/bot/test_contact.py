"""联系社区: a resident who asks for a person (转人工, 居委会电话, 找工作人员) is told how to
reach one, or, with no contact configured, that a message left here reaches the staff."""
from __future__ import annotations

from typing import Any

from tests.bot.test_accounts import AccountSide, account_b, add_community_b
from tests.community.helpers import load_roster
from tests.wechat_side import Transcript, WeChatSide

OFFICE = "居委会电话 0510-8123 4567，梁溪路18号，周一至周五 8:30–17:00"


def test_without_a_contact_the_resident_is_told_to_leave_the_message_here(wechat: WeChatSide) -> None:
    Transcript(wechat, "o-alone").run([
        ("转人工", ["工作人员", "直接在这里说", "!没太明白"]),
        # … and doing so starts a request (this resident has yet to bind, so it waits for that)
        ("我一个人住，腿脚不方便，能不能有人来看看我", "记下了"),
    ])


def test_the_configured_contact_is_given_and_is_on_the_menu(make_app: Any) -> None:
    side = WeChatSide(make_app(community={"name": "黄巷社区", "contact": OFFICE}))
    Transcript(side, "o-ask").run([
        ("居委会几点上班", ["黄巷社区的联系方式", OFFICE, "!会议"]),
        ("物业电话多少", [OFFICE, "!已收到您的诉求"]),
        ("帮助", "联系社区"),
    ])
    menu = side.say("o-ask", "帮助")
    number = next(line.split(".")[0] for line in menu.splitlines() if "联系社区" in line)
    assert OFFICE in side.say("o-ask", number)


def test_a_community_accounts_own_contact_wins_for_its_residents(make_app: Any) -> None:
    b_office = "梁溪社区居委会 0510-8765 4321"
    app = make_app(community={"name": "黄巷社区", "contact": OFFICE},
                   accounts=[account_b(contact=b_office)])
    load_roster(app)
    add_community_b(app)
    b_side = AccountSide(app, account_b(contact=b_office))
    assert b_office in b_side.say("o-b-ask", "社区电话是多少")
    assert OFFICE in WeChatSide(app).say("o-a-ask", "社区电话是多少")
