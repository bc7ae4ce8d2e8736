"""Intents: every canonical command, the PRODUCT §3 free-text examples, the careful pairs."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.nlu import INTENTS, NLU, Understanding, get_nlu
from bot.nlu.evaluate import CORPUS_NOW

ROOT = Path(__file__).resolve().parents[2]

CANONICAL = [
    ("帮助", "help"),
    ("你好", "greeting"),
    ("取消", "cancel"),
    ("绑定 3号楼2单元301 张三 5678", "bind"),
    ("绑定", "bind"),
    ("诉求 楼道灯坏了", "complaint.new"),
    ("投诉 楼上太吵", "complaint.new"),
    ("报修 电梯坏了", "complaint.new"),
    ("建议 多装几个路灯", "complaint.new"),
    ("我的诉求", "complaint.status"),
    ("查询 TS20261127-0012", "complaint.status"),
    ("评价 TS20261127-0012 5", "complaint.rate"),
    ("表决", "vote.list"),
    ("表决 12", "vote.show"),
    ("投票 12 同意", "vote.cast"),
    ("投票 12 2", "vote.cast"),
    ("公约", "convention.show"),
    ("会议", "meeting.list"),
    ("报名 5", "meeting.signup"),
    ("取消报名 5", "meeting.cancel"),
    ("签到 5 123456", "meeting.checkin"),
    ("通知", "bulletin.latest"),
    ("订阅 停水停电", "bulletin.subscribe"),
    ("退订 活动", "bulletin.unsubscribe"),
    ("我的订阅", "bulletin.subscriptions"),
    ("我的信息", "profile"),
    ("解绑", "unbind"),
    ("受理 TS20261127-0012", "complaint.accept"),
    ("办结 TS20261127-0012 已更换灯泡", "complaint.resolve"),
    ("驳回 TS20261127-0012 不属于社区管辖", "complaint.reject"),
    ("转办 TS20261127-0012 李师傅", "complaint.assign"),
    ("合并 TS20261127-0012 TS20261126-0003", "complaint.merge"),
    ("待办", "complaint.todo"),
    ("审核", "binding.review"),
    ("发布通知", "bulletin.publish"),
    ("发起表决", "vote.create"),
    ("创建会议", "meeting.create"),
    ("统计", "stats"),
]

# The free-text column of PRODUCT §3, word for word.
PRODUCT_EXAMPLES = [
    ("怎么用", "help"),
    ("你能干什么", "help"),
    ("在吗", "greeting"),
    ("早上好", "greeting"),
    ("算了不弄了", "cancel"),
    ("我住三号楼二单元301，叫张三", "bind"),
    ("楼道灯坏了三天了没人修", "complaint.new"),
    ("我上次反映的问题处理得怎么样了", "complaint.status"),
    ("问题解决了，很满意", "complaint.rate"),
    ("最近有什么要投票的", "vote.list"),
    ("公约那个我家同意", "vote.cast"),
    ("我们楼道的公约是什么", "convention.show"),
    ("最近有什么会", "meeting.list"),
    ("我想参加周三的恳谈会", "meeting.signup"),
    ("周三的会我去不了了", "meeting.cancel"),
    ("最近有什么通知", "bulletin.latest"),
    ("停水的消息告诉我", "bulletin.subscribe"),
    ("活动的消息别发给我了", "bulletin.unsubscribe"),
]


@pytest.mark.parametrize(("text", "intent"), CANONICAL)
def test_canonical_commands(nlu: NLU, text: str, intent: str) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert (result.intent, result.canonical) == (intent, True)
    assert result.confidence == 1.0


@pytest.mark.parametrize(("text", "intent"), PRODUCT_EXAMPLES)
def test_product_free_text_examples(nlu: NLU, text: str, intent: str) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert (result.intent, result.canonical) == (intent, False)
    assert result.confidence >= 0.45


def test_every_canonical_intent_is_a_known_intent() -> None:
    assert {intent for _, intent in CANONICAL + PRODUCT_EXAMPLES} <= set(INTENTS)


@pytest.mark.parametrize(
    ("text", "intent", "canonical"),
    [
        ("取消", "cancel", True),
        ("取消报名 5", "meeting.cancel", True),
        ("取消报名", "meeting.cancel", True),
        ("取消订阅 活动", "bulletin.unsubscribe", True),
        ("通知", "bulletin.latest", True),
        ("通知我", "bulletin.subscribe", False),
        ("有停电通知我一声", "bulletin.subscribe", False),
        ("表决", "vote.list", True),
        ("表决 12", "vote.show", True),
        ("投票 同意", "vote.cast", False),
        ("投诉", "complaint.new", True),
        ("投诉的处理得怎么样了", "complaint.status", False),
        ("报修好几天了还没人来", "complaint.status", False),
        ("你好，楼道灯坏了", "complaint.new", False),
    ],
)
def test_careful_pairs(nlu: NLU, text: str, intent: str, canonical: bool) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert (result.intent, result.canonical) == (intent, canonical)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("说修好了，结果还是坏的", "complaint.reopen"),
        ("楼道灯没修好", "complaint.reopen"),
        ("TS20261120-0007 根本没修好", "complaint.reopen"),
        ("显示已办结，可是水管还在漏", "complaint.reopen"),
        ("我不同意", "vote.cast"),
        ("我不参加了", "meeting.cancel"),
        ("参加不了", "meeting.cancel"),
        ("我要参加", "meeting.signup"),
        ("不满意", "complaint.rate"),
        ("别给我发政策的消息", "bulletin.unsubscribe"),
        ("我不想投诉了 算了", "cancel"),
        ("帮我把绑定解除了", "unbind"),
        ("我绑定成功了吗", "profile"),
    ],
)
def test_negation(nlu: NLU, text: str, intent: str) -> None:
    assert nlu.understand(text, CORPUS_NOW).intent == intent


@pytest.mark.parametrize(
    "text",
    ["今天天气怎么样", "讲个笑话", "哈哈哈", "asdfgh", "我孙子考上大学了", "", "   ", "😂😂", "[微笑]", "。。。"],
)
def test_chit_chat_is_unknown(nlu: NLU, text: str) -> None:
    result = nlu.understand(text, CORPUS_NOW)
    assert result.intent == "unknown"
    assert result.canonical is False


def test_unknown_keeps_a_guess_and_a_bare_number(nlu: NLU) -> None:
    assert nlu.understand("2", CORPUS_NOW).slots == {"number": 2}
    assert nlu.understand("下水道赌住了", CORPUS_NOW).slots.get("guess") == "complaint.new"


@pytest.mark.parametrize("text", ["TS20261127-0012 有没有人受理", "我提交的诉求有没有人受理"])
def test_questions_about_staff_actions_are_not_staff_commands(nlu: NLU, text: str) -> None:
    assert nlu.understand(text, CORPUS_NOW).intent == "complaint.status"


def test_understanding_is_frozen_and_serialisable(nlu: NLU) -> None:
    result = nlu.understand("投票 12 同意", CORPUS_NOW)
    assert isinstance(result, Understanding)
    with pytest.raises(AttributeError):
        result.intent = "cancel"  # type: ignore[misc]
    assert result.as_dict() == {
        "intent": "vote.cast", "slots": {"vote_id": 12, "choice": "同意"}, "confidence": 1.0,
        "canonical": True, "text": "投票 12 同意",
    }  # fmt: skip


def test_get_nlu_is_one_shared_instance() -> None:
    assert get_nlu() is get_nlu()


def test_import_loads_no_jieba() -> None:
    code = "import sys, bot.nlu; bot.nlu.get_nlu(); print('jieba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_warm_is_idempotent_and_understand_warms_lazily() -> None:
    engine = NLU()
    assert engine.understand("帮助").intent == "help"  # canonical: no jieba needed
    assert engine.understand("楼道灯坏了").intent == "complaint.new"
    tokenizer = engine._tokenizer
    engine.warm()
    assert engine._tokenizer is tokenizer


def test_extra_dictionary_is_loaded(tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("梧桐苑东门 50000 n\n", encoding="utf-8")
    engine = NLU(extra_dictionary=str(extra))
    assert "梧桐苑东门" in engine.tokenize("梧桐苑东门的路灯坏了")


def test_cost_per_message_after_warm_up(nlu: NLU) -> None:
    texts = ["楼道灯坏了三天了没人修", "公约那个我家同意", "我想参加周三的恳谈会", "投票 12 同意", "今天天气怎么样"]
    costs = []
    for _ in range(40):
        for text in texts:
            started = time.perf_counter()
            nlu.understand(text, CORPUS_NOW)
            costs.append(time.perf_counter() - started)
    assert statistics.median(costs) < 0.002
