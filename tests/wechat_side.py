"""WeChat's side of the webhook, built independently of the app's code (with wechatpy):
signed, and encrypted in compatible or safe mode, as WeChat's servers send them."""
from __future__ import annotations

import hashlib
import itertools
import re
import time
from typing import Any

import xmltodict
from wechatpy.crypto import WeChatCrypto

_ids = itertools.count(6_000_000_000_000_000_001)


def wx_sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def xml_of(fields: dict[str, Any]) -> str:
    body = "".join(
        f"<{k}>{v}</{k}>" if isinstance(v, (int, float)) else f"<{k}><![CDATA[{v}]]></{k}>"
        for k, v in fields.items())
    return f"<xml>{body}</xml>"


class WeChatSide:
    def __init__(self, app: Any, mode: str = "plain", client: Any = None):
        self.app = app
        w = app.extensions["linli"].settings.wechat
        self.token, self.app_id, self.aes = w.token, w.app_id, w.encoding_aes_key
        self.mode = mode
        self.client = client or app.test_client()

    # Building ------------------------------------------------------------------------------
    def fields(self, openid: str, msg_type: str, **extra: Any) -> dict[str, Any]:
        f: dict[str, Any] = {"ToUserName": "gh_community", "FromUserName": openid,
                             "CreateTime": extra.pop("CreateTime", int(time.time())),
                             "MsgType": msg_type}
        f.update(extra)
        if msg_type != "event" and "MsgId" not in f:
            f["MsgId"] = next(_ids)
        return f

    def request(self, xml: str, mode: str | None = None, *, timestamp: str | None = None,
                nonce: str = "n0nce42", app_id: str | None = None) -> tuple[dict[str, str], bytes]:
        mode = mode or self.mode
        ts = timestamp or str(int(time.time()))
        query = {"signature": wx_sign(self.token, ts, nonce), "timestamp": ts, "nonce": nonce,
                 "openid": "x"}
        if mode == "plain":
            return query, xml.encode()
        box = WeChatCrypto(self.token, self.aes, app_id or self.app_id)
        envelope = xmltodict.parse(box.encrypt_message(xml, nonce, ts))["xml"]
        query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
        if mode == "safe":
            body = xml_of({"ToUserName": "gh_community", "Encrypt": envelope["Encrypt"]})
        else:
            body = xml.replace("</xml>", f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
        return query, body.encode()

    # Sending -------------------------------------------------------------------------------
    def post(self, fields: dict[str, Any], mode: str | None = None, **kw: Any) -> Any:
        query, body = self.request(xml_of(fields), mode, **kw)
        return self.client.post("/wechat", query_string=query, data=body,
                                 content_type="text/xml")

    def reply_of(self, response: Any, mode: str | None = None) -> dict[str, Any] | None:
        """The decrypted reply fields, or None for "success"."""
        assert response.status_code == 200, (response.status_code, response.data[:200])
        text = response.data.decode()
        if text == "success":
            return None
        mode = mode or self.mode
        if mode != "plain":
            env = xmltodict.parse(text)["xml"]
            assert env["MsgSignature"] == wx_sign(self.token, env["TimeStamp"], env["Nonce"],
                                                  env["Encrypt"])
            box = WeChatCrypto(self.token, self.aes, self.app_id)
            text = box.decrypt_message(text, env["MsgSignature"], env["TimeStamp"], env["Nonce"])
        return xmltodict.parse(text)["xml"]

    def say(self, openid: str, text: str, mode: str | None = None, **extra: Any) -> str:
        res = self.post(self.fields(openid, "text", Content=text, **extra), mode)
        reply = self.reply_of(res, mode)
        return "" if reply is None else reply.get("Content") or ""

    def event(self, openid: str, event: str, key: str = "", mode: str | None = None,
              **extra: Any) -> str:
        res = self.post(self.fields(openid, "event", Event=event, EventKey=key, **extra), mode)
        reply = self.reply_of(res, mode)
        return "" if reply is None else reply.get("Content") or ""


class Transcript:
    """A conversation as (what the resident says, what the reply must contain) pairs."""

    def __init__(self, side: WeChatSide, openid: str):
        self.side, self.openid = side, openid

    def run(self, steps: list[tuple[str, str | list[str]]]) -> None:
        for said, expected in steps:
            reply = self.side.say(self.openid, said)
            wanted = [expected] if isinstance(expected, str) else expected
            for part in wanted:
                if part.startswith("!"):
                    assert part[1:] not in reply, f"{said!r} → {reply!r} must not contain {part[1:]!r}"
                elif part.startswith("re:"):
                    assert re.search(part[3:], reply), f"{said!r} → {reply!r} !~ {part[3:]!r}"
                else:
                    assert part in reply, f"{said!r} → {reply!r} lacks {part!r}"
