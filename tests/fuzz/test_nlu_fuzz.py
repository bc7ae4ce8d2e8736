"""Property-based: any text a resident (or a broken client) sends is understood as some
intent of the product, with JSON-serialisable slots, and never raises."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu import INTENTS, get_nlu
from models.address import AddressError, parse_address

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=400)
COMMUNITY_WORDS = st.lists(st.sampled_from(
    ["投票", "表决", "公约", "同意", "反对", "报名", "取消", "会议", "评价", "TS20261127-0012", "3号楼",
     "二单元", "301", "五分", "明天", "下午", "两点", "不", "没", "修好", "订阅", "停水", "通知", "绑定",
     "张伟", "5678", "第3号", "周三", "恳谈会", "受理", "办结", "驳回", " ", "，", "!", "😀", "\n"]),
    max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(ANY_TEXT, COMMUNITY_WORDS))
def test_any_text_is_understood_as_a_known_intent(text: str) -> None:
    u = get_nlu().understand(text, NOW)
    assert u.intent in INTENTS or u.intent == "unknown"
    assert 0.0 <= u.confidence <= 1.0
    json.dumps(u.slots, ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(ANY_TEXT, COMMUNITY_WORDS))
def test_the_address_parser_answers_or_explains(text: str) -> None:
    try:
        parse_address(text)
    except AddressError as exc:
        assert exc.message
