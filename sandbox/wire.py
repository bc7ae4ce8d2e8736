"""Build webhook requests exactly as WeChat's servers do (used by the chat page and
`flask chat`; tests build theirs independently with wechatpy), for the deployment's own
account (account=None) or a community's (an entry of `accounts`)."""
from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from typing import Any

from wechatpy.crypto import PrpCrypto

from bot.crypto import sign
from bot.xmlutil import cdata
from settings import AccountSettings, Settings

MODES = ("plain", "compat", "safe")


@dataclass(frozen=True)
class WireRequest:
    query: dict[str, str]
    body: bytes


def path(account: AccountSettings | None) -> str:
    """The webhook of an account."""
    return "/wechat" if account is None else f"/wechat/{account.app_id}"


def _keys(settings: Settings, account: AccountSettings | None) -> tuple[str, str, str]:
    """(token, EncodingAESKey, AppId) of the account."""
    w = account or settings.wechat
    return w.token, w.encoding_aes_key, w.app_id


def message_xml(settings: Settings, openid: str, msg_type: str = "text", *,
                msg_id: int | None = None, create_time: int | None = None,
                account: AccountSettings | None = None, **fields: Any) -> str:
    create_time = create_time or int(time.time())
    to = (account.original_id if account else "") or "gh_sandbox"
    parts = [f"<ToUserName>{cdata(to)}</ToUserName>",
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


def wrap(settings: Settings, xml: str, mode: str | None = None,
         account: AccountSettings | None = None) -> WireRequest:
    token, aes, app_id = _keys(settings, account)
    mode = mode or ("safe" if aes else "plain")
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    query = {"signature": sign(token, timestamp, nonce), "timestamp": timestamp,
             "nonce": nonce, "openid": "sandbox"}
    if mode == "plain":
        return WireRequest(query, xml.encode("utf-8"))
    key = base64.b64decode(aes + "=")
    encrypt = PrpCrypto(key).encrypt(xml, app_id).decode("ascii")
    query.update(encrypt_type="aes", msg_signature=sign(token, timestamp, nonce, encrypt))
    if mode == "safe":
        body = f"<xml><ToUserName>{cdata('gh_sandbox')}</ToUserName><Encrypt>{cdata(encrypt)}</Encrypt></xml>"
    else:  # compatible mode: the plaintext fields and the Encrypt field side by side
        body = xml.replace("</xml>", f"<Encrypt>{cdata(encrypt)}</Encrypt></xml>")
    return WireRequest(query, body.encode("utf-8"))


def open_reply(settings: Settings, body: bytes, query: dict[str, str],
               account: AccountSettings | None = None) -> str:
    """The reply XML, decrypted when the request was encrypted."""
    text = body.decode("utf-8")
    if query.get("encrypt_type") != "aes" or text == "success":
        return text
    from bot.crypto import MessageCrypto
    from bot.xmlutil import parse_xml

    fields = parse_xml(text)
    box = MessageCrypto(*_keys(settings, account))
    return box.decrypt(fields["Encrypt"], fields["MsgSignature"], fields["TimeStamp"],
                       fields["Nonce"])
