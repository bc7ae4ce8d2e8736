"""Property-based: whatever arrives at /wechat, the answer is a reply or a 4xx, never a 500."""
from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import AES_KEY
from tests.wechat_side import WeChatSide, xml_of

_ids = itertools.count(1)
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Any text XML 1.0 can carry (no control characters but tab/newline), every plane.
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                   max_size=300).map(lambda t: "".join(c for c in t if c in "\t\n\r" or ord(c) >= 0x20))


@pytest.fixture
def fuzz_app(make_app: Any) -> Any:
    return make_app(wechat={"encoding_aes_key": AES_KEY})


@FUZZ
@given(body=st.binary(max_size=2000))
def test_arbitrary_bytes_are_refused_cleanly(fuzz_app: Any, body: bytes) -> None:
    side = WeChatSide(fuzz_app)
    query, _ = side.request("<xml/>")
    res = fuzz_app.test_client().post("/wechat", query_string=query, data=body)
    assert res.status_code in (200, 400, 413)


@FUZZ
@given(content=XML_TEXT, mode=st.sampled_from(["plain", "compat", "safe"]))
def test_any_text_message_gets_a_reply(fuzz_app: Any, content: str, mode: str) -> None:
    side = WeChatSide(fuzz_app, mode=mode)
    res = side.post(side.fields(f"fz{next(_ids)}", "text", Content=content.replace("]]>", "]] >")))
    assert res.status_code == 200
    reply = side.reply_of(res)
    assert reply is not None and reply["Content"].strip()


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId",
                                               "Content", "Event", "EventKey", "Recognition", "Location_X",
                                               "Location_Y", "Scale", "Label", "PicUrl", "MediaId"]),
                              st.one_of(XML_TEXT.map(lambda t: t.replace("]]>", "")), st.integers()), max_size=10))
def test_odd_but_valid_xml_is_answered_or_refused(fuzz_app: Any, fields: dict[str, Any]) -> None:
    side = WeChatSide(fuzz_app)
    query, body = side.request(xml_of(fields))
    res = fuzz_app.test_client().post("/wechat", query_string=query, data=body)
    assert res.status_code in (200, 400)
