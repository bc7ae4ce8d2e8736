"""Build webhook requests exactly as WeChat's servers do (used by the chat page and
`flask chat`; tests build theirs independently with wechatpy)."""
from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from typing import Any

from wechatpy.crypto import PrpCrypto

from bot.crypto import sign
from bot.xmlutil import cdata
from settings import Settings

MODES = ("plain", "compat", "safe")


@dataclass(frozen=True)
class WireRequest:
    query: dict[str, str]
    body: bytes


def message_xml(settings: Settings, openid: str, msg_type: str = "text", *,
                msg_id: int | None = None, create_time: int | None = None,
                **fields: Any) -> str:
    create_time = create_time or int(time.time())
    parts = [f"<ToUserName>{cdata('gh_sandbox')}</ToUserName>",
             f"<FromUserName>{cdata(openid)}</FromUserName>",
             f"<CreateTime>{create_time}</CreateTime>",
             f"<MsgType>{cdata(msg_type)}</MsgType>"]
    for key, value in fields.items():
        if value is None:
            continue
        parts.append(f"<{key}>{cdata(str(value)) if isinstance(value, str) else value}</{key}>")
    if msg_type != "event":
        parts.append(f"<MsgId>{msg_id or secrets.randbelow(10**18)}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


def wrap(settings: Settings, xml: str, mode: str | None = None) -> WireRequest:
    w = settings.wechat
    mode = mode or ("safe" if w.encoding_aes_key else "plain")
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    query = {"signature": sign(w.token, timestamp, nonce), "timestamp": timestamp,
             "nonce": nonce, "openid": "sandbox"}
    if mode == "plain":
        return WireRequest(query, xml.encode("utf-8"))
    key = base64.b64decode(w.encoding_aes_key + "=")
    encrypt = PrpCrypto(key).encrypt(xml, w.app_id).decode("ascii")
    query.update(encrypt_type="aes", msg_signature=sign(w.token, timestamp, nonce, encrypt))
    if mode == "safe":
        body = f"<xml><ToUserName>{cdata('gh_sandbox')}</ToUserName><Encrypt>{cdata(encrypt)}</Encrypt></xml>"
    else:  # compatible mode: the plaintext fields and the Encrypt field side by side
        body = xml.replace("</xml>", f"<Encrypt>{cdata(encrypt)}</Encrypt></xml>")
    return WireRequest(query, body.encode("utf-8"))


def open_reply(settings: Settings, body: bytes, query: dict[str, str]) -> str:
    """The reply XML, decrypted when the request was encrypted."""
    text = body.decode("utf-8")
    if query.get("encrypt_type") != "aes" or text == "success":
        return text
    from bot.crypto import MessageCrypto
    from bot.xmlutil import parse_xml

    fields = parse_xml(text)
    box = MessageCrypto(settings.wechat.token, settings.wechat.encoding_aes_key,
                        settings.wechat.app_id)
    return box.decrypt(fields["Encrypt"], fields["MsgSignature"], fields["TimeStamp"],
                       fields["Nonce"])
