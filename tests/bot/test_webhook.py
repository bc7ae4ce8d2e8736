"""The /wechat webhook as WeChat's servers drive it: every mode, every type, bad input."""
from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from models.wechat import InboundMessage
from tests.conftest import AES_KEY
from tests.wechat_side import WeChatSide, wx_sign, xml_of

MODES = ["plain", "compat", "safe"]


@pytest.fixture
def side(aes_app: Any, request: pytest.FixtureRequest) -> WeChatSide:
    return WeChatSide(aes_app, mode=getattr(request, "param", "plain"))


def inbound_count(app: Any) -> int:
    with app.extensions["linli"].factory() as s:
        return s.scalar(select(func.count()).select_from(InboundMessage)) or 0


# URL verification -----------------------------------------------------------------------
def test_url_verification_echoes_echostr(app: Any) -> None:
    ts, nonce = "1409304348", "xxxxxx"
    sig = wx_sign("test-token", ts, nonce)
    res = app.test_client().get("/wechat", query_string={
        "signature": sig, "timestamp": ts, "nonce": nonce, "echostr": "4ByGGj+sVCYcvGeQ"})
    assert res.status_code == 200 and res.data == b"4ByGGj+sVCYcvGeQ"


def test_url_verification_with_wrong_signature_is_refused(app: Any) -> None:
    res = app.test_client().get("/wechat", query_string={
        "signature": "0" * 40, "timestamp": "1", "nonce": "2", "echostr": "hello"})
    assert res.status_code == 403 and b"hello" not in res.data


# Every mode, every type ------------------------------------------------------------------
@pytest.mark.parametrize("side", MODES, indirect=True)
def test_text_message_gets_a_reply_in_every_mode(side: WeChatSide) -> None:
    res = side.post(side.fields("o-mode-1", "text", Content="帮助"))
    reply = side.reply_of(res)
    assert reply is not None
    assert reply["ToUserName"] == "o-mode-1" and reply["FromUserName"] == "gh_community"
    assert reply["MsgType"] == "text" and "黄巷社区" in reply["Content"]


@pytest.mark.parametrize("side", MODES, indirect=True)
@pytest.mark.parametrize("msg_type,extra,expect", [
    ("voice", {"MediaId": "m1", "Format": "amr", "Recognition": "你好"}, "小助手"),
    ("voice", {"MediaId": "m1", "Format": "amr", "Recognition": ""}, "没听清"),
    ("voice", {"MediaId": "m1", "Format": "amr"}, "没听清"),
    ("image", {"PicUrl": "http://mmbiz.qpic.cn/x.jpg", "MediaId": "m2"}, "收到"),
    ("video", {"MediaId": "m3", "ThumbMediaId": "t3"}, "收到"),
    ("shortvideo", {"MediaId": "m3", "ThumbMediaId": "t3"}, "收到"),
    ("location", {"Location_X": 31.57, "Location_Y": 120.29, "Scale": 15, "Label": "黄巷新村"}, "收到"),
    ("link", {"Title": "标题", "Description": "d", "Url": "http://example.com/a"}, "收到"),
])
def test_every_message_type_gets_an_answer(side: WeChatSide, msg_type: str,
                                           extra: dict[str, Any], expect: str) -> None:
    reply = side.reply_of(side.post(side.fields("o-types", msg_type, **extra)))
    assert reply is not None and expect in reply["Content"]


@pytest.mark.parametrize("side", MODES, indirect=True)
def test_events(side: WeChatSide) -> None:
    openid = "o-events"
    assert "绑定" in side.event(openid, "subscribe")
    assert "欢迎回来" in side.event(openid, "SCAN", "scene42", Ticket="t")
    assert "小助手" in side.event(openid, "CLICK", "MENU_HELP")
    assert side.event(openid, "VIEW", "http://example.com") == ""
    assert side.event(openid, "LOCATION", Latitude=31.5, Longitude=120.3, Precision=30) == ""
    assert side.event(openid, "TEMPLATESENDJOBFINISH", MsgID=123, Status="success") == ""
    assert side.event(openid, "unsubscribe") == ""


def test_unknown_menu_key_asks_instead_of_acting(wechat: WeChatSide) -> None:
    reply = wechat.event("o-click", "CLICK", "NO_SUCH_KEY")
    assert "没太明白" in reply and "1." in reply


def test_subscribe_and_unsubscribe_change_the_follow_state(wechat: WeChatSide, app: Any) -> None:
    from models.resident import Resident
    wechat.event("o-follow", "subscribe")
    wechat.event("o-follow", "unsubscribe", CreateTime=int(time.time()) + 1)
    with app.extensions["linli"].factory() as s:
        r = s.scalars(select(Resident).where(Resident.openid == "o-follow")).one()
        assert r.followed is False and r.unfollowed_at is not None


def test_official_sample_vector_decrypts() -> None:
    """The published sample (token 123456, AppId wx49f0ab532d5d035a) opens with our crypto."""
    from bot.crypto import MessageCrypto
    encrypt = ("RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTy"
               "eDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyol"
               "Bug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZ"
               "lF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb"
               "++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=")
    box = MessageCrypto("123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a")
    xml = box.decrypt(encrypt, "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "1411525903", "461056294")
    assert "<Content><![CDATA[test]]></Content>" in xml and "messense" in xml


# Forged and bad input -------------------------------------------------------------------
def test_bad_signature_is_refused_and_does_nothing(wechat: WeChatSide, app: Any) -> None:
    query, body = wechat.request(xml_of(wechat.fields("o-forged", "text", Content="帮助")))
    query["signature"] = "f" * 40
    res = app.test_client().post("/wechat", query_string=query, data=body)
    assert res.status_code == 403
    assert inbound_count(app) == 0


def test_a_replay_with_an_old_timestamp_is_refused(wechat: WeChatSide, app: Any) -> None:
    old = str(int(time.time()) - 3600)
    query, body = wechat.request(xml_of(wechat.fields("o-replay", "text", Content="帮助")), timestamp=old)
    assert app.test_client().post("/wechat", query_string=query, data=body).status_code == 403
    assert inbound_count(app) == 0


def test_missing_signature_is_refused(app: Any) -> None:
    res = app.test_client().post("/wechat", data=b"<xml><MsgType>text</MsgType></xml>")
    assert res.status_code == 403


def test_bad_msg_signature_in_safe_mode_is_refused(aes_app: Any) -> None:
    side = WeChatSide(aes_app, mode="safe")
    query, body = side.request(xml_of(side.fields("o1", "text", Content="hi")))
    query["msg_signature"] = "0" * 40
    assert aes_app.test_client().post("/wechat", query_string=query, data=body).status_code == 403


def test_message_encrypted_for_another_appid_is_refused(aes_app: Any) -> None:
    side = WeChatSide(aes_app, mode="safe")
    query, body = side.request(xml_of(side.fields("o1", "text", Content="hi")), app_id="wxSOMEONEELSE00001")
    res = aes_app.test_client().post("/wechat", query_string=query, data=body)
    assert res.status_code == 403
    assert inbound_count(aes_app) == 0


def test_encrypted_message_without_a_configured_key_is_a_client_error(make_app: Any) -> None:
    keyed = make_app(wechat={"encoding_aes_key": AES_KEY})
    plain = make_app()
    side = WeChatSide(keyed, mode="safe")
    query, body = side.request(xml_of(side.fields("o1", "text", Content="hi")))
    assert plain.test_client().post("/wechat", query_string=query, data=body).status_code == 400


@pytest.mark.parametrize("body", [
    b"", b"hello", b"<xml>", b"<xml></xml>", b"<notxml><a>1</a></notxml>", b"\xff\xfe\x00",
    b"<xml><ToUserName>a</ToUserName></xml>",
    xml_of({"ToUserName": "a", "FromUserName": "b", "CreateTime": "soon", "MsgType": "text"}).encode(),
    xml_of({"ToUserName": "a", "FromUserName": "b", "CreateTime": 1, "MsgType": "telegram"}).encode(),
    b"<xml><ToUserName>a</ToUserName><FromUserName><b>nested</b></FromUserName>"
    b"<CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
    xml_of({"ToUserName": "a", "FromUserName": "b", "CreateTime": 1, "MsgType": "location",
            "Location_X": "north", "Location_Y": 1}).encode(),
])
def test_not_a_wechat_message_is_400(wechat: WeChatSide, app: Any, body: bytes) -> None:
    query, _ = wechat.request("<xml/>")
    res = app.test_client().post("/wechat", query_string=query, data=body)
    assert res.status_code == 400


@pytest.mark.parametrize("body", [
    # billion laughs
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><xml><ToUserName>a</ToUserName>'
    b'<FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>'
    b'<Content>&lol3;</Content></xml>',
    # XXE
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>'
    b'<MsgType>text</MsgType><Content>&xxe;</Content></xml>',
])
def test_entity_tricks_are_refused(wechat: WeChatSide, app: Any, body: bytes) -> None:
    query, _ = wechat.request("<xml/>")
    res = app.test_client().post("/wechat", query_string=query, data=body)
    assert res.status_code == 400 and b"root:" not in res.data


def test_entity_tricks_inside_the_encrypted_payload_are_refused(aes_app: Any) -> None:
    side = WeChatSide(aes_app, mode="safe")
    evil = ('<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><ToUserName>a</ToUserName>'
            '<FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>'
            '<Content>&xxe;</Content><MsgId>1</MsgId></xml>')
    query, body = side.request(evil)
    assert aes_app.test_client().post("/wechat", query_string=query, data=body).status_code == 400


def test_oversized_body_is_413(wechat: WeChatSide, app: Any) -> None:
    big = wechat.fields("o-big", "text", Content="灯" * 40000)
    query, body = wechat.request(xml_of(big))
    assert len(body) > 65536
    assert app.test_client().post("/wechat", query_string=query, data=body).status_code == 413


def test_reply_text_with_cdata_terminator_stays_well_formed() -> None:
    import xmltodict

    from bot.reply import Reply
    xml = Reply("a]]>b<c>&").render("u", "gh")
    assert xmltodict.parse(xml)["xml"]["Content"] == "a]]>b<c>&"


# Retries --------------------------------------------------------------------------------
@pytest.mark.parametrize("side", MODES, indirect=True)
def test_a_retry_gets_the_same_reply_and_is_processed_once(side: WeChatSide, aes_app: Any) -> None:
    fields = side.fields("o-retry", "text", Content="你好", MsgId=1234567890123)
    first = side.reply_of(side.post(fields))
    again = side.reply_of(side.post(fields))
    assert first is not None and again is not None
    assert first["Content"] == again["Content"]
    assert inbound_count(aes_app) == 1


def test_retried_event_is_deduplicated_by_user_and_time(wechat: WeChatSide, app: Any) -> None:
    fields = wechat.fields("o-ev", "event", Event="subscribe", EventKey="", CreateTime=1764200000)
    assert "欢迎" in (wechat.reply_of(wechat.post(fields)) or {}).get("Content", "")
    assert "欢迎" in (wechat.reply_of(wechat.post(fields)) or {}).get("Content", "")
    assert inbound_count(app) == 1
