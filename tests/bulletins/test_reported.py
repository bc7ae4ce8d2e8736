"""Bulletin problems an exploratory tester met in the chat: opt-outs hid notices from the
list, list numbers led nowhere and long bodies were cut, and staff's 发布通知 took the
topic into the title, refused 停水 as a topic and 所有人 as a scope."""
from __future__ import annotations

from typing import Any

from tests.bulletins.helpers import (
    staff_publishing,
    UNIT32,
    cli,
    community,
    deliveries,
    next_local,
    publish,
    pushed_to,
    text_of,
    wait_for,
)
from tests.wechat_side import Transcript, WeChatSide

LONG = ("本周六上午9点在社区广场举行广场舞比赛，每个楼道可以报一支队伍，每队8到12人，"
        "服装自备。报名请找楼道长，周四下午5点截止。比赛设一二三等奖，奖品是大米和食用油。")


def test_an_opted_out_topic_is_not_pushed_but_still_listed(live: Any) -> None:
    srv = live()
    community(srv.app)
    side = WeChatSide(srv.app)
    for openid in UNIT32:
        side.say(openid, "你好")           # all three could get a customer-service message
    Transcript(side, "o-301").run([("退订活动", "以后不再给您发“活动”的通知")])
    bid = publish(srv.app, "--now", text_of(next_local(10)), scope="全社区", topic="活动",
                  title="周六广场舞比赛", body="周六上午9点，社区广场。")
    wait_for(lambda: len(pushed_to(srv.app)) == 2)
    assert "o-301" not in deliveries(srv.app, f"bulletin:{bid}")   # no push: opted out
    Transcript(side, "o-301").run([
        ("活动通知", ["周六广场舞比赛", "!最近没有新通知"]),
        ("通知", ["【活动】周六广场舞比赛", "!最近没有新通知"]),
        ("退订", "回复 0 退订全部"),
        ("0", "不再给您发"),
        ("通知", ["【活动】周六广场舞比赛", "!最近没有新通知"]),
    ])


def test_a_number_after_the_list_shows_that_notice_in_full(live: Any) -> None:
    srv = live()
    community(srv.app)
    clock = text_of(next_local(10))
    publish(srv.app, "--now", clock, scope="全社区", topic="活动", title="周六广场舞比赛", body=LONG)
    publish(srv.app, "--now", clock, title="明日停水", body="明天9点到12点停水，请提前储水。")
    # Nobody wrote first, so both wait in the inbox: "1" and "2" are unread deliveries.
    Transcript(WeChatSide(srv.app), "o-301").run([
        ("通知", ["1. 【停水停电】明日停水", "2. 【活动】周六广场舞比赛", "…", "!奖品是大米",
                "回复数字看全文"]),
        ("2", ["【活动】周六广场舞比赛", LONG, "回复“通知”重新看列表"]),
        ("第一条", ["【停水停电】明日停水", "明天9点到12点停水，请提前储水。"]),
        ("详情", "请回复通知前面的数字"),
        ("7", "请回复通知前面的数字"),
        ("通知", ["最近的通知：", "【活动】周六广场舞比赛", "!未读"]),
        ("看第二条", LONG),
        ("你好", ["您好", "!奖品是大米"]),     # the list is left behind: 你好 is a greeting
        ("2", "!奖品是大米"),                  # and a number later picks from the menu instead
    ])


def test_staff_publish_takes_the_topic_out_of_the_title_and_reads_loose_answers(live: Any) -> None:
    srv = live()
    staff_publishing(srv.app)
    Transcript(WeChatSide(srv.app), "o-staff").run([
        ("发布通知 停水停电 明天3号楼停水", ["（标题：明天3号楼停水）", "!停水停电 明天"]),
        ("取消", "已取消"),
        ("发布通知", "请选择话题"),
        ("停水", "话题：停水停电"),
        ("明日停水", "请发送通知正文"),
        ("明天9点到12点停水", "发给谁"),
        ("所有人", ["请确认通知内容", "发送范围：黄巷社区", "【停水停电】明日停水"]),
        ("2", "没有发布"),
        ("发布通知", "请选择话题"),
        ("社区", "话题：社区动态"),         # part of one topic's name only
        ("取消", "已取消"),
    ])
    for scope in ("全小区", "全社区"):
        Transcript(WeChatSide(srv.app), "o-staff").run([
            ("发布通知 活动 重阳节包饺子", "（标题：重阳节包饺子）"),
            ("周六上午9点在活动室", "发给谁"),
            (scope, "发送范围：黄巷社区"),
            ("2", "没有发布"),
        ])


def test_cli_refuses_a_cron_that_fires_more_often_than_hourly(live: Any) -> None:
    srv = live()
    community(srv.app)
    base = ["bulletin", "publish", "--scope", "全社区", "--topic", "活动", "--title", "t", "--body", "b"]
    for cron in ("* * * * *", "*/30 9 * * *", "0,30 9 * * 1"):
        bad = cli(srv.app, *base, "--cron", cron)
        assert bad.exit_code != 0 and "--cron" in bad.output and "太频繁" in bad.output, bad.output
    bad = cli(srv.app, *base, "--cron", "每周一")
    assert bad.exit_code != 0 and "分 时 日 月 星期" in bad.output and "0 9 * * 1" in bad.output
    ok = cli(srv.app, *base, "--cron", "0 * * * *")             # hourly is the most allowed
    assert ok.exit_code == 0, ok.output
