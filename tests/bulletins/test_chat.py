"""Bulletins in the chat: 通知, the unread hint, 订阅 / 退订 / 我的订阅, and 发布通知 by staff."""
from __future__ import annotations

from typing import Any

from tests.bulletins.helpers import (
    staff_publishing,
    UNIT32,
    community,
    deliveries,
    next_local,
    publish,
    pushed_to,
    text_of,
    wait_for,
)
from tests.wechat_side import Transcript, WeChatSide


def test_an_undelivered_bulletin_is_hinted_then_listed_and_cleared(live: Any) -> None:
    srv = live()
    community(srv.app)
    publish(srv.app, "--now", text_of(next_local(10)))   # nobody wrote: no window, no template
    assert deliveries(srv.app, "bulletin:1")["o-301"].status == "deferred"
    assert pushed_to(srv.app) == {}
    Transcript(WeChatSide(srv.app), "o-301").run([
        ("你好", ["您好", "您有 1 条未读通知，回复“通知”查看"]),
        ("通知", ["您有 1 条未读通知：", "【停水停电】明日停水", "明天9点到12点停水", "!回复“通知”查看"]),
        ("你好", ["您好", "!未读通知"]),
        ("通知", ["最近的通知：", "【停水停电】明日停水", "!未读"]),
    ])
    # Another resident's inbox is their own.
    assert "您有 1 条未读通知" in WeChatSide(srv.app).say("o-302", "你好")


def test_notices_list_only_the_residents_scope_whatever_the_topics(live: Any) -> None:
    srv = live()
    community(srv.app)
    clock = text_of(next_local(10))
    publish(srv.app, "--now", clock, scope="5号楼1单元", title="5号楼停电")
    publish(srv.app, "--now", clock, scope="全社区", topic="活动", title="重阳节包饺子")
    publish(srv.app, "--now", clock, scope="3号楼2单元", topic="政策", title="垃圾分类")
    side = WeChatSide(srv.app)
    side.say("o-301", "退订 政策")
    reply = side.say("o-301", "通知")
    assert "重阳节包饺子" in reply
    assert "5号楼停电" not in reply
    assert "垃圾分类" in reply   # an opt-out stops pushes; asked for, every notice is listed


def test_subscribe_and_unsubscribe_by_command_number_and_free_text(live: Any) -> None:
    srv = live()
    community(srv.app)
    Transcript(WeChatSide(srv.app), "o-301").run([
        ("我的订阅", ["停水停电、活动、政策、安全提醒、公约公示、社区动态", "没有订阅：无"]),
        ("退订 活动", "以后不再给您发“活动”的通知"),
        ("我的订阅", ["没有订阅：活动", "!收到这些话题的通知：停水停电、活动"]),
        ("订阅", ["1. 停水停电", "2. 活动", "6. 社区动态", "回复 0 订阅全部"]),
        ("2", "已订阅“活动”"),
        ("退订 八卦", ["1. 停水停电", "回复 0 退订全部"]),
        ("3", "不再给您发“政策”"),
        ("活动的消息别发给我了", "不再给您发“活动”"),
        ("我的订阅", "没有订阅：活动、政策"),
    ])


def test_staff_publish_by_chat_with_preview_and_confirmation(live: Any) -> None:
    srv = live()
    staff_publishing(srv.app)
    side = WeChatSide(srv.app)
    for openid in UNIT32:
        side.say(openid, "你好")
    assert "需要工作人员权限" in side.say("o-301", "发布通知")
    Transcript(side, "o-staff").run([
        ("发布通知", ["1. 停水停电", "6. 社区动态"]),
        ("1", "请发送通知标题"),
        ("明日停水", "请发送通知正文"),
        ("明天9点到12点停水，请提前储水", ["回复 1 全社区", "3号楼2单元"]),
        ("9号楼", "没有找到“9号楼”"),
        ("3号楼2单元", ["【停水停电】明日停水", "明天9点到12点停水", "黄巷新村3号楼2单元",
                      "回复 1 确认发布", "回复 2 取消"]),
        ("1", ["已发布", "共 3 位居民会收到"]),
    ])
    wait_for(lambda: len(pushed_to(srv.app)) == 3)
    assert pushed_to(srv.app) == {"o-301": 1, "o-302": 1, "o-401": 1}
    Transcript(side, "o-staff").run([
        ("发布通知 明天上午停水", "请发送通知正文（标题：明天上午停水）"),
        ("取消", "已取消"),
        ("发布通知", "请选择话题"),
        ("2", "标题"),
        ("取消", "已取消"),
    ])
    assert len(deliveries(srv.app)) == 3
