"""Misunderstandings the handler families reported, as rules: each table holds the reported
message and differently written variants of it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.nlu import INTENTS, NLU, STAFF_INTENTS
from bot.nlu.evaluate import CORPUS_NOW
from bot.nlu.timeparse import find_span

NOW_UTC = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)  # Friday 10:00 in Shanghai

ACTIONS = {"meeting.signup", "meeting.cancel", "vote.cast", "complaint.new", "complaint.rate", "meeting.rate",
           "unbind", "bulletin.subscribe", "bulletin.unsubscribe", *STAFF_INTENTS}  # fmt: skip


def test_new_intents_are_known() -> None:
    assert {"meeting.rate", "vote.open", "binding.decide"} <= set(INTENTS)
    assert {"vote.open", "binding.decide"} <= set(STAFF_INTENTS)


@pytest.mark.parametrize(
    "text",
    [
        "不去开会了", "去不了", "不参加了", "不去了", "参加不了", "来不了", "我不去开会了，家里有事",
        "这周六的会我就不去开了", "开会我不参加了", "明天我不去开会", "明天的会不想去了", "把我的报名撤了",
        "帮我取消一下会议报名", "恳谈会我们不去", "我今天没空去开会", "没时间参加", "退出5号会议", "赶不上开会了",
    ],
)  # fmt: skip
def test_not_attending_is_a_cancellation(nlu: NLU, text: str) -> None:
    assert nlu.understand(text, CORPUS_NOW).intent == "meeting.cancel"


@pytest.mark.parametrize(
    "text",
    ["师傅不用来了", "我没参加上次的会，能补报吗", "我报不上名", "参加不参加都行", "明天的会去不去", "我们家没人去"],
)
def test_negated_or_undecided_attendance_is_never_a_sign_up(nlu: NLU, text: str) -> None:
    assert nlu.understand(text, CORPUS_NOW).intent != "meeting.signup"


@pytest.mark.parametrize(
    ("text", "meeting_id"),
    [("取消会议报名 5", 5), ("取消会议的报名 3", 3), ("撤销会议报名 2", 2), ("撤销报名 4", 4)],
)
def test_cancelling_a_meeting_sign_up_canonically(nlu: NLU, text: str, meeting_id: int) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert (result.intent, result.slots, result.canonical) == ("meeting.cancel", {"meeting_id": meeting_id}, True)


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("评价会议 5 4", {"meeting_id": 5, "score": 4}),
        ("评价会议 4", {"score": 4}),
        ("评价会议 3分", {"score": 3}),
        ("评价会议 7", {"meeting_id": 7}),
        ("评价会议 2 5 组织得很好", {"meeting_id": 2, "score": 5, "comment": "组织得很好"}),
        ("评价会议", {}),
    ],
)
def test_canonical_meeting_rating(nlu: NLU, text: str, slots: dict[str, object]) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert (result.intent, result.slots, result.canonical) == ("meeting.rate", slots, True)


@pytest.mark.parametrize(
    ("text", "score"),
    [("给恳谈会打5分", 5), ("这次会开得很好，5分", 5), ("上次的听证会我打3分", 3), ("这次会议很满意", 5),
     ("会开得太长了，不满意", 2)],
)  # fmt: skip
def test_a_rating_about_a_meeting_rates_the_meeting(nlu: NLU, text: str, score: int) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert (result.intent, result.slots["score"]) == ("meeting.rate", score)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("楼道灯修好了，5分", "complaint.rate"),
        ("TS20261127-0012 恳谈会上说的问题解决了 5分", "complaint.rate"),
        ("5分钟后开会", "meeting.list"),
        ("不好意思，明天的恳谈会参加不了", "meeting.cancel"),
    ],
)
def test_ratings_that_are_not_about_a_meeting(nlu: NLU, text: str, intent: str) -> None:
    assert nlu.understand(text, CORPUS_NOW).intent == intent


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("确认表决 3", "vote.open", {"vote_id": 3}),
        ("确认表决 第12号", "vote.open", {"vote_id": 12}),
        ("确认表决 十二", "vote.open", {"vote_id": 12}),
        ("提议表决", "vote.create", {}),
        ("发起投票 装监控", "vote.create", {"title": "装监控"}),
        ("投票 5 方案A", "vote.cast", {"vote_id": 5, "option_text": "方案A"}),
        ("投票 2 加装电梯", "vote.cast", {"vote_id": 2, "option_text": "加装电梯"}),
        ("投票 12 无所谓", "vote.cast", {"vote_id": 12, "choice": "弃权"}),
    ],
)
def test_canonical_vote_commands(nlu: NLU, text: str, intent: str, slots: dict[str, object]) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert (result.intent, result.slots, result.canonical) == (intent, slots, True)


@pytest.mark.parametrize("text", ["投票 5 怎么投", "投票 5 吗", "投票 12 我家同意"])
def test_a_sentence_after_a_vote_number_is_no_option_label(nlu: NLU, text: str) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert "option_text" not in result.slots and not result.canonical


@pytest.mark.parametrize("text", ["我想发起一个表决", "我提议搞个投票", "我想提议一个表决", "想发起个投票"])
def test_proposing_a_vote(nlu: NLU, text: str) -> None:
    assert nlu.understand(text, CORPUS_NOW).intent == "vote.create"


def test_free_text_custom_option_and_no_staff_action_from_a_ballot_confirmation(nlu: NLU) -> None:
    result = nlu.understand("5号表决我选方案A", CORPUS_NOW)
    assert (result.intent, result.slots) == ("vote.cast", {"vote_id": 5, "option_text": "方案A"})
    assert nlu.understand("确认投票", CORPUS_NOW).intent != "vote.open"


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("12月10日18点", "2026-12-10T18:00:00+08:00"),
        ("明天晚上8点", "2026-11-28T20:00:00+08:00"),
        ("2026-12-10 18:00", "2026-12-10T18:00:00+08:00"),
        ("下周二上午9点半", "2026-12-01T09:30:00+08:00"),
        ("明天下午3点开会吗", "2026-11-28T15:00:00+08:00"),
        ("昨天晚上10点楼上一直在装修，吵死了", "2026-11-26T22:00:00+08:00"),
        ("发起表决 12月10日18点截止", "2026-12-10T18:00:00+08:00"),
    ],
)
def test_a_time_fills_when_whatever_the_intent(nlu: NLU, text: str, when: str) -> None:
    assert nlu.understand(text, NOW_UTC).slots["when"] == when


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("我住三号楼二单元301，叫张伟，手机尾号5678", {"name": "张伟", "phone_last4": "5678"}),
        ("我住三号楼二单元301叫张伟手机尾号5678", {"name": "张伟", "phone_last4": "5678"}),
        ("住2栋3单元101叫赵磊尾号8888", {"name": "赵磊", "phone_last4": "8888"}),
        ("我叫王芳", {"name": "王芳"}),
        ("名字是刘洋", {"name": "刘洋"}),
        ("姓名：孙丽", {"name": "孙丽"}),
    ],
)
def test_names_in_binding(nlu: NLU, text: str, slots: dict[str, object]) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert result.intent == "bind"
    assert {key: result.slots.get(key) for key in slots} == slots


@pytest.mark.parametrize("text", ["我叫了物业好几次都没人来", "他叫什么名字", "我叫不动他"])
def test_calling_someone_is_no_name(nlu: NLU, text: str) -> None:
    assert nlu.understand(text, CORPUS_NOW).intent != "bind"


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("通过 3", {"number": 3, "decision": "approve"}),
        ("批准 1", {"number": 1, "decision": "approve"}),
        ("通过第2个申请", {"number": 2, "decision": "approve"}),
        ("拒绝 3 信息不符", {"number": 3, "decision": "reject", "reason": "信息不符"}),
        ("拒绝3信息不符", {"number": 3, "decision": "reject", "reason": "信息不符"}),
        ("不通过 5 不是本小区住户", {"number": 5, "decision": "reject", "reason": "不是本小区住户"}),
        ("驳回 2 查无此人", {"number": 2, "decision": "reject", "reason": "查无此人"}),
    ],
)
def test_binding_decisions(nlu: NLU, text: str, slots: dict[str, object]) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert (result.intent, result.slots, result.canonical) == ("binding.decide", slots, True)


def test_reject_with_a_ticket_still_rejects_the_request(nlu: NLU) -> None:
    result = nlu.understand("驳回 TS20261127-0012 不属于社区管辖", CORPUS_NOW)
    assert result.intent == "complaint.reject"


@pytest.mark.parametrize("text", ["随便写写", "随便", "随便吧", "都行", "无所谓啦"])
def test_indifference_without_a_vote_is_no_ballot(nlu: NLU, text: str) -> None:
    assert nlu.understand(text, CORPUS_NOW).intent == "unknown"


@pytest.mark.parametrize("text", ["这个表决随便吧", "这个公约我无所谓", "表决的事我随便", "弃权吧"])
def test_indifference_about_a_vote_abstains(nlu: NLU, text: str) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert (result.intent, result.slots.get("choice")) == ("vote.cast", "弃权")


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("下周有会吗", "2026-11-30", "2026-12-06"),
        ("这周有会吗", "2026-11-23", "2026-11-29"),
        ("下个礼拜有什么会议", "2026-11-30", "2026-12-06"),
        ("下周末有没有会", "2026-12-05", "2026-12-06"),
        ("这个月还有什么会", "2026-11-01", "2026-11-30"),
    ],
)
def test_a_week_or_month_gives_a_range_not_a_day(nlu: NLU, text: str, first: str, last: str) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert result.intent == "meeting.list"
    assert (result.slots["date_from"], result.slots["date_to"]) == (first, last)
    assert "date" not in result.slots


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("下个月", ("2026-12-01", "2026-12-31")),
        ("上周", ("2026-11-16", "2026-11-22")),
        ("下下周", ("2026-12-07", "2026-12-13")),
        ("周末", ("2026-11-28", "2026-11-29")),
    ],
)
def test_spans(text: str, span: tuple[str, str]) -> None:
    found = find_span(text, NOW_UTC)
    assert found is not None and tuple(day.isoformat() for day in found) == span


@pytest.mark.parametrize("text", ["下个月5号", "一周", "每周三", "你好"])
def test_no_span(text: str) -> None:
    assert find_span(text, NOW_UTC) is None


@pytest.mark.parametrize(
    "text", ["是的", "是", "对", "对的", "确认", "确定", "好的", "好", "好的好的", "嗯好的", "行", "可以", "OK", "1"]
)
def test_bare_confirmations_do_nothing(nlu: NLU, text: str) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert result.intent == "unknown"
    assert result.intent not in ACTIONS


@pytest.mark.parametrize(
    "text",
    ["那个灯修好了没有", "灯修好了吗", "修好没", "修好了没", "楼道灯修好没有啊", "灯到底修不修", "灯还修不修了",
     "有人来修吗", "电梯修好了没有啊都三天了", "水管换好了吗", "处理完了吗", "下水道通了没有"],
)  # fmt: skip
def test_asking_whether_it_is_fixed_is_a_status_question(nlu: NLU, text: str) -> None:
    # Reported in a newcomer trial: a resident with one open request asked 那个灯修好了没有
    # and got the "didn't understand" menu; 修好了没 was even taken for a rating.
    assert nlu.understand(text, CORPUS_NOW).intent == "complaint.status"


@pytest.mark.parametrize(
    ("text", "intent"),
    [("灯修好了，谢谢", "complaint.rate"), ("修好没两天又坏了", "complaint.reopen"),
     ("根本没修好", "complaint.reopen")],
)
def test_saying_it_is_fixed_or_broken_again_is_not_a_question(nlu: NLU, text: str, intent: str) -> None:
    assert nlu.understand(text, CORPUS_NOW).intent == intent


@pytest.mark.parametrize(
    "text",
    ["物业电话多少", "垃圾几点收", "停车费多少钱", "物业费怎么交", "物业在哪", "物业的电话", "居委会电话是多少",
     "楼下的花开得真好看"],
)  # fmt: skip
def test_asking_for_information_or_praising_files_nothing(nlu: NLU, text: str) -> None:
    # Reported: each of these was filed at once as a request (物业服务, 邻里纠纷 …).
    assert nlu.understand(text, CORPUS_NOW).intent in ("unknown", "contact")


@pytest.mark.parametrize(
    "text",
    ["物业电话多少", "居委会电话", "转人工", "我要找工作人员", "居委会几点上班", "居委会在哪里", "怎么联系网格员",
     "社区电话是多少"],
)  # fmt: skip
def test_asking_for_a_person_or_the_office_is_contact(nlu: NLU, text: str) -> None:
    # Reported: none of these reached a person; 居委会几点上班 even listed meetings.
    assert nlu.understand(text, CORPUS_NOW).intent == "contact"


@pytest.mark.parametrize("text", ["你是真人还是机器", "我要投诉网格员", "物业电话打不通，楼道灯坏了"])
def test_contact_words_in_other_messages_are_not_contact(nlu: NLU, text: str) -> None:
    assert nlu.understand(text, CORPUS_NOW).intent != "contact"


@pytest.mark.parametrize(
    "text",
    ["电梯又停了", "电梯不动了", "水管爆了", "停电了", "装修声音太大", "帮我报个修", "我想报个修", "门禁卡刷不开门",
     "物业电话打不通，楼道灯坏了", "物业乱收费", "垃圾没人收"],
)  # fmt: skip
def test_something_broken_said_plainly_is_a_report(nlu: NLU, text: str) -> None:
    assert nlu.understand(text, CORPUS_NOW).intent == "complaint.new"


@pytest.mark.parametrize("text", ["没人来修啊，说办结了", "说办结了可是没人来过", "还没修呢怎么就办结了"])
def test_closed_without_anyone_coming_reopens(nlu: NLU, text: str) -> None:
    # Reported: read as the staff command 办结, so the resident was told it needs staff rights.
    assert nlu.understand(text, CORPUS_NOW).intent == "complaint.reopen"


@pytest.mark.parametrize("text", ["明天停水吗", "明天停电了吗"])
def test_asking_about_a_cut_is_no_report(nlu: NLU, text: str) -> None:
    assert nlu.understand(text, CORPUS_NOW).intent != "complaint.new"


@pytest.mark.parametrize("text", ["TS20261127-0005", "ts20261127-0005", "TS20261127-0005？", "TS20261127-0005呢"])
def test_a_ticket_number_alone_asks_how_it_is_going(nlu: NLU, text: str) -> None:
    # Reported: a number copied from a push got the "didn't understand" menu.
    result = nlu.understand(text, CORPUS_NOW)
    assert (result.intent, result.slots.get("ticket")) == ("complaint.status", "TS20261127-0005")


@pytest.mark.parametrize(
    ("text", "content"),
    [("楼道灯坏了，晚上很黑！", "楼道灯坏了，晚上很黑"), ("诉求 树枝快断了，怕砸到人", "树枝快断了，怕砸到人"),
     ("电梯坏了?什么时候修", "电梯坏了？什么时候修"), ("诉求 3,4号楼之间的路灯坏了", "3,4号楼之间的路灯坏了")],
)
def test_a_request_keeps_its_chinese_punctuation(nlu: NLU, text: str, content: str) -> None:
    # Reported: stored texts read "树枝快断了,怕砸到人" (NFKC makes "，" half-width).
    assert nlu.understand(text, CORPUS_NOW).slots["content"] == content


@pytest.mark.parametrize("text", ["投票结果", "表决结果怎么样", "上次投票结果出来了吗", "公约表决得怎么样"])
def test_asking_for_a_votes_result_is_about_votes(nlu: NLU, text: str) -> None:
    # Reported: 表决结果怎么样 was read as asking about the household's requests.
    assert nlu.understand(text, CORPUS_NOW).intent == "vote.list"


def test_the_example_the_contact_reply_gives_is_understood_as_a_request(nlu: NLU) -> None:
    # Reported: the reply to 转人工 suggested 我一个人住，想请社工上门看看, which the bot then
    # did not understand.
    import re as re_

    from handlers.contact import TEXTS
    example = re_.search(r"比如“(.+?)”", TEXTS["contact_none"])[1]  # type: ignore[index]
    assert nlu.understand(example, CORPUS_NOW).intent == "complaint.new"


@pytest.mark.parametrize(("text", "vote_id"), [("第2号那个我家同意", 2), ("第3号我反对", 3)])
def test_a_ballot_names_its_vote_as_nth(nlu: NLU, text: str, vote_id: int) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert (result.intent, result.slots.get("vote_id")) == ("vote.cast", vote_id)
