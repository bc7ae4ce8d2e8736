"""Slots, table by table: tickets, ids, choices, scores, dates, categories, topics, text clean-up."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.nlu import NLU
from bot.nlu.evaluate import CORPUS_NOW
from bot.nlu.normalise import flatten, normalise, standardise
from bot.nlu.slots import clean_name, find_score, find_tickets
from bot.nlu.timeparse import find_when
from models.address import find_address, parse_address

# Friday 2026-11-27 10:00 in Shanghai, given in UTC as the webhook does.
NOW_UTC = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text",
    [
        "TS20261127-0012",
        "ts20261127-0012",
        "Ts20261127-0012",
        "TS 20261127 0012",
        "TS202611270012",
        "ＴＳ２０２６１１２７－００１２",
        "20261127-0012",
        "TS20261127-12",
        "查询一下ts20261127-0012的进度",
    ],
)
def test_ticket_forms_are_canonicalised(text: str) -> None:
    found = find_tickets(normalise(text))
    assert [ticket for ticket, _, _ in found] == ["TS20261127-0012"]


@pytest.mark.parametrize(
    "text",
    ["2026-11-27", "20261127", "电话13912345678", "3号楼2单元301", "投票 12 2"],
)
def test_dates_phones_and_addresses_are_not_tickets(text: str) -> None:
    assert find_tickets(text) == []


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("表决 12", "vote_id", 12),
        ("第3号表决是什么内容", "vote_id", 3),
        ("十二号投票讲的啥", "vote_id", 12),
        ("编号7的投票说的是什么", "vote_id", 7),
        ("报名 5", "meeting_id", 5),
        ("报名 第三号", "meeting_id", 3),
        ("报名第2号会议", "meeting_id", 2),
        ("3号会议我不参加了", "meeting_id", 3),
        ("取消报名 5", "meeting_id", 5),
    ],
)
def test_vote_and_meeting_ids(nlu: NLU, text: str, key: str, value: int) -> None:
    assert nlu.understand(text, NOW_UTC).slots[key] == value


def test_a_building_number_is_not_a_meeting_id(nlu: NLU) -> None:
    result = nlu.understand("我想参加3号楼的楼道议事会", NOW_UTC)
    assert result.intent == "meeting.signup"
    assert "meeting_id" not in result.slots


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("同意", "同意"),
        ("赞成", "同意"),
        ("我家支持", "同意"),
        ("没意见", "同意"),
        ("我家不反对", "同意"),
        ("不同意", "反对"),
        ("我不赞成", "反对"),
        ("反对", "反对"),
        ("我不是很同意这个公约", "反对"),
        ("阿拉勿同意", "反对"),
        ("弃权", "弃权"),
        ("不投了", "弃权"),
        ("这个表决我无所谓", "弃权"),
        ("公约那个我家同意", "同意"),
    ],
)
def test_choices_with_negation(nlu: NLU, text: str, choice: str) -> None:
    result = nlu.understand(text, NOW_UTC)
    assert result.intent == "vote.cast"
    assert result.slots["choice"] == choice
    assert result.canonical is False


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("投票 12 同意", {"vote_id": 12, "choice": "同意"}),
        ("投票 12 1", {"vote_id": 12, "choice": "同意", "option": 1}),
        ("投票 12 2", {"vote_id": 12, "choice": "反对", "option": 2}),
        ("投票 12 3", {"vote_id": 12, "choice": "弃权", "option": 3}),
        ("投票 12 4", {"vote_id": 12, "option": 4}),
        ("投票12不同意", {"vote_id": 12, "choice": "反对"}),
        ("投票 五 弃权", {"vote_id": 5, "choice": "弃权"}),
    ],
)
def test_canonical_ballots(nlu: NLU, text: str, slots: dict[str, object]) -> None:
    result = nlu.understand(text, NOW_UTC)
    assert (result.intent, result.slots, result.canonical) == ("vote.cast", slots, True)


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("打5分", 5),
        ("五分", 5),
        ("五星", 5),
        ("3颗星", 3),
        ("非常满意", 5),
        ("很满意", 5),
        ("好评", 5),
        ("满意", 4),
        ("还算满意", 4),
        ("一般", 3),
        ("马马虎虎", 3),
        ("不满意", 2),
        ("不太满意", 2),
        ("很不满意", 1),
        ("非常不满意", 1),
        ("差评", 1),
    ],
)
def test_scores(text: str, score: int) -> None:
    assert find_score(flatten(text)) == score


@pytest.mark.parametrize("text", ["打10分", "满意率多少", "你好"])
def test_no_score(text: str) -> None:
    assert find_score(flatten(text)) is None


def test_negated_satisfaction_through_jieba_tokens(nlu: NLU) -> None:
    result = nlu.understand("这次处理我不是很满意", NOW_UTC)
    assert (result.intent, result.slots["score"]) == ("complaint.rate", 2)


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("评价 TS20261127-0012 5", {"ticket": "TS20261127-0012", "score": 5}),
        ("评价 TS20261127-0012 五", {"ticket": "TS20261127-0012", "score": 5}),
        ("评价 TS20261127-0012 4分 师傅很认真", {"ticket": "TS20261127-0012", "score": 4, "comment": "师傅很认真"}),
    ],
)
def test_canonical_rating(nlu: NLU, text: str, slots: dict[str, object]) -> None:
    result = nlu.understand(text, NOW_UTC)
    assert (result.intent, result.slots, result.canonical) == ("complaint.rate", slots, True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("明天上午9点", {"date": "2026-11-28", "when": "2026-11-28T09:00:00+08:00"}),
        ("下周三下午两点", {"date": "2026-12-02", "when": "2026-12-02T14:00:00+08:00", "weekday": 3}),
        ("12月3日 19:30", {"date": "2026-12-03", "when": "2026-12-03T19:30:00+08:00"}),
        ("后天晚上7点半", {"date": "2026-11-29", "when": "2026-11-29T19:30:00+08:00"}),
        ("今晚八点", {"date": "2026-11-27", "when": "2026-11-27T20:00:00+08:00"}),
        ("明早八点一刻", {"date": "2026-11-28", "when": "2026-11-28T08:15:00+08:00"}),
        ("中午12点", {"date": "2026-11-27", "when": "2026-11-27T12:00:00+08:00"}),
        ("晚上12点", {"date": "2026-11-28", "when": "2026-11-28T00:00:00+08:00"}),
        ("三点开会", {"date": "2026-11-27", "when": "2026-11-27T15:00:00+08:00"}),
        ("3号下午3点", {"date": "2026-12-03", "when": "2026-12-03T15:00:00+08:00"}),
        ("周六上午", {"date": "2026-11-28", "weekday": 6}),
        ("周三", {"date": "2026-12-02", "weekday": 3}),
        ("这周三", {"date": "2026-11-25", "weekday": 3}),
        ("本周五", {"date": "2026-11-27", "weekday": 5}),
        ("下下周一", {"date": "2026-12-07", "weekday": 1}),
        ("星期天晚上七点", {"date": "2026-11-29", "when": "2026-11-29T19:00:00+08:00", "weekday": 7}),
        ("大后天", {"date": "2026-11-30"}),
        ("1月5日", {"date": "2027-01-05"}),
        ("2026年12月3日", {"date": "2026-12-03"}),
        ("下个月5号", {"date": "2026-12-05"}),
        ("三天后", {"date": "2026-11-30"}),
    ],
)
def test_dates_against_a_fixed_clock(text: str, expected: dict[str, object]) -> None:
    found = find_when(text, NOW_UTC)
    assert found is not None
    assert found.slots() == expected


def test_late_utc_evening_is_already_tomorrow_in_shanghai() -> None:
    late = datetime(2026, 11, 27, 17, 0, tzinfo=timezone.utc)  # 01:00 on the 28th in Shanghai
    found = find_when("明天上午9点", late)
    assert found is not None and found.slots()["when"] == "2026-11-29T09:00:00+08:00"


@pytest.mark.parametrize("text", ["请快一点修", "3号楼2单元301", "报名3号", "TS20261127-0012", "你好"])
def test_no_date_where_there_is_none(text: str) -> None:
    assert find_when(text, NOW_UTC) is None


def test_meeting_slots_for_the_handler_to_resolve(nlu: NLU) -> None:
    result = nlu.understand("我想参加周三的恳谈会", CORPUS_NOW)
    assert result.intent == "meeting.signup"
    assert result.slots["weekday"] == 3
    assert result.slots["meeting_type"] == "恳谈会"
    assert result.slots["date"] == "2026-12-02"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("楼道灯坏了三天了没人修", "repair"),
        ("垃圾好几天没人清了 臭死了", "sanitation"),
        ("楼上半夜装修吵得睡不着", "noise"),
        ("小区门口乱停车 车都开不出去", "parking"),
        ("物业的保安天天不在岗", "property"),
        ("有人在楼道里给电瓶车充电 太危险了", "safety"),
        ("对门邻居占了公共过道 还不讲理", "dispute"),
        ("草坪上的杂草好久没人修剪了", "greenery"),
        ("投诉 我有个问题想说一说", "other"),
    ],
)
def test_complaint_categories(nlu: NLU, text: str, category: str) -> None:
    result = nlu.understand(text, NOW_UTC)
    assert result.intent == "complaint.new"
    assert result.slots["category"] == category


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("订阅 停水停电", "停水停电"),
        ("断电的消息告诉我", "停水停电"),
        ("退订 活动", "活动"),
        ("养老金政策的消息发给我", "政策"),
        ("防诈骗的提醒推送给我", "安全提醒"),
        ("公约公示的通知告诉我", "公约公示"),
        ("我想看看最近的社区动态", "社区动态"),
    ],
)
def test_bulletin_topics(nlu: NLU, text: str, topic: str) -> None:
    assert nlu.understand(text, NOW_UTC).slots["topic"] == topic


def test_bind_slots(nlu: NLU) -> None:
    result = nlu.understand("我住三号楼二单元301，叫张三，手机尾号5678", NOW_UTC)
    assert result.intent == "bind"
    assert result.slots["address"] == {
        "point": None, "building": "3", "unit": "2", "room": "301", "label": "3号楼2单元301室",
    }  # fmt: skip
    assert result.slots["name"] == "张三"
    assert result.slots["phone_last4"] == "5678"


def test_canonical_bind_with_a_bad_address_reports_why(nlu: NLU) -> None:
    result = nlu.understand("绑定 2单元301 张三 5678", NOW_UTC)
    assert result.intent == "bind" and result.canonical
    assert "缺少楼号" in result.slots["address_error"]
    assert result.slots["phone_last4"] == "5678"


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("办结 TS20261127-0012 已更换灯泡", {"ticket": "TS20261127-0012", "note": "已更换灯泡"}),
        ("驳回 TS20261127-0012 不属于社区管辖", {"ticket": "TS20261127-0012", "reason": "不属于社区管辖"}),
        ("转办 TS20261127-0012 李师傅", {"ticket": "TS20261127-0012", "assignee": "李师傅"}),
        ("合并 TS20261127-0012 TS20261126-0003", {"ticket": "TS20261127-0012", "target": "TS20261126-0003"}),
        ("签到 5 123456", {"meeting_id": 5, "code": "123456"}),
    ],
)
def test_staff_command_arguments(nlu: NLU, text: str, slots: dict[str, object]) -> None:
    assert nlu.understand(text, NOW_UTC).slots == slots


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("３号楼２单元３０１", "3号楼2单元301"),
        ("楼道灯坏了😡😡。", "楼道灯坏了"),
        ("[捂脸]电梯又坏了！！！", "电梯又坏了"),
        ("电梯坏了！！！快来修", "电梯坏了!快来修"),
        ("嗯嗯那个，楼道灯坏了。", "楼道灯坏了"),
        ("  报名   5  ", "报名 5"),
        ("保修 水管漏水", "报修 水管漏水"),
        ("楼到灯坏了", "楼道灯坏了"),
        ("", ""),
    ],
)
def test_normalise(raw: str, clean: str) -> None:
    assert normalise(raw) == clean


def test_dialect_is_mapped_for_matching_keeping_the_length() -> None:
    text = "阿拉屋里勿同意 侬晓得伐"
    assert standardise(text) == "我们家里不同意 你知道吗"
    assert len(standardise(text)) == len(text)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("的李强", "李强"),       # 302的李强: the particle tying the name to the address
        ("是王芳", "王芳"),       # 我是王芳 read from the middle
        ("叫张伟", "张伟"),
        ("名叫欧阳娜娜", "欧阳娜娜"),
        ("李强", "李强"),         # nothing to strip
        ("的王", "的王"),         # one character left is no name: keep what was written
        ("", None),
    ],
)
def test_clean_name_strips_leading_particles(raw: str, name: str | None) -> None:
    assert clean_name(raw) == name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我是3栋2单元302的李强，手机尾号2222", "李强"),
        ("我是3栋2单元302的李强 2222", "李强"),
        ("我住三号楼二单元301，叫张伟，手机尾号5678", "张伟"),
        ("我是李强 3栋2单元302 尾号2222", "李强"),
    ],
)
def test_the_name_after_an_address_and_a_particle_is_read(nlu: NLU, text: str, name: str) -> None:
    u = nlu.understand(text)
    assert u.intent == "bind" and u.slots.get("name") == name


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("3栋2-301", "3号楼2单元301室"),
        ("3号楼2-301", "3号楼2单元301室"),
        ("3#2-301", "3号楼2单元301室"),
        ("3幢2-301", "3号楼2单元301室"),
        ("黄巷新村3栋2—301室", "黄巷新村3号楼2单元301室"),
        ("3-2-301", "3号楼2单元301室"),        # the all-dash form, as before
    ],
)
def test_building_mark_then_unit_dash_room(text: str, label: str) -> None:
    assert parse_address(text).label == label


@pytest.mark.parametrize("text", ["3号2-3点停水", "12月3号2-15号有活动"])
def test_a_date_with_a_dash_in_a_sentence_is_no_address(text: str) -> None:
    assert find_address(text) is None   # 号 without a marked unit reads as a date here
