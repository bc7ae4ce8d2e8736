"""The sandbox chat page and `flask chat`: talk to the bot through the real signed /wechat
(or a community account's /wechat/<app_id>, when one is chosen)."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from sqlalchemy import select

from bot.inbound import Inbound
from bot.service import Outcome
from bot.xmlutil import BadXML, parse_xml
from models.db import again_if_connection_lost, transaction
from models.sandbox import SandboxMessage
from sandbox import wire
from settings import AccountSettings

bp = Blueprint("sandbox_chat", __name__, url_prefix="/sandbox", template_folder="templates")
OPENID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


def mask_phones(text: str | None) -> str | None:
    """The sandbox's log of what users wrote keeps no full phone number."""
    return PHONE.sub(r"\1****\2", text) if text else text
SILENT_EVENTS = {"unsubscribe", "templatesendjobfinish", "location", "masssendjobfinish"}


def _app_id(app: Flask, inbound: Inbound) -> str:
    return inbound.app_id or app.extensions["linli"].settings.wechat.app_id


def record_inbound(app: Flask, inbound: Inbound) -> None:
    """What WeChat itself would know: when this user last wrote (the 48 h window), and
    through which account."""
    if inbound.msg_type == "event" and inbound.event in SILENT_EVENTS:
        return
    body = {"type": inbound.msg_type, "text": mask_phones(inbound.text), "event": inbound.event,
            "key": inbound.event_key}
    def record() -> None:
        with transaction(app.extensions["linli"].factory) as s:
            s.add(SandboxMessage(openid=inbound.openid, direction="in", body=body,
                                 app_id=_app_id(app, inbound)))
    again_if_connection_lost(record)


def record_reply(app: Flask, inbound: Inbound, outcome: Outcome) -> None:
    if outcome.reply is None or outcome.duplicate:
        return
    with transaction(app.extensions["linli"].factory) as s:
        s.add(SandboxMessage(openid=inbound.openid, direction="reply", api="passive",
                             body=outcome.reply.to_json(), app_id=_app_id(app, inbound)))


def build_xml(openid: str, data: dict[str, Any], account: AccountSettings | None = None) -> str:
    settings = current_app.extensions["linli"].settings
    kind = data.get("type", "text")

    def xml(msg_type: str, **fields: Any) -> str:
        return wire.message_xml(settings, openid, msg_type, account=account, **fields)

    if kind == "text":
        return xml("text", Content=str(data.get("text", "")))
    if kind == "voice":
        return xml("voice", MediaId="sandbox-voice", Format="amr", Recognition=str(data.get("text", "")))
    if kind == "image":
        return xml("image", MediaId="sandbox-image",
                   PicUrl=str(data.get("url") or "http://127.0.0.1/sandbox.jpg"))
    if kind == "location":
        return xml("location", Location_X=31.5747, Location_Y=120.2985, Scale=16,
                   Label=str(data.get("text") or "黄巷新村3号楼"))
    if kind == "event":
        return xml("event", Event=str(data.get("event", "")), EventKey=str(data.get("key", "")))
    raise ValueError(kind)


class UnknownAccount(ValueError):
    """An AppId that is neither the deployment's nor in `accounts`."""


def account_of(app: Flask, app_id: str | None) -> AccountSettings | None:
    """The community account to write through (None: the deployment's own)."""
    settings = app.extensions["linli"].settings
    if not app_id or app_id == settings.wechat.app_id:
        return None
    account = settings.account(app_id)
    if account is None:
        known = ", ".join([settings.wechat.app_id, *(a.app_id for a in settings.accounts)])
        raise UnknownAccount(f"no account {app_id} (known: {known})")
    return account


def send(app: Flask, openid: str, data: dict[str, Any], app_id: str | None = None) -> dict[str, Any]:
    """Sign (and encrypt) like WeChat, post to the account's webhook, decode the reply."""
    settings = app.extensions["linli"].settings
    account = account_of(app, app_id)
    with app.app_context():
        xml = build_xml(openid, data, account)
    req = wire.wrap(settings, xml, account=account)
    with app.test_client() as client:
        res = client.post(wire.path(account), query_string=req.query, data=req.body,
                          content_type="text/xml")
    reply_xml = wire.open_reply(settings, res.data, req.query, account) if res.status_code == 200 else ""
    text = ""
    if reply_xml and reply_xml != "success":
        try:
            fields = parse_xml(reply_xml)
            text = fields.get("Content") or "\n".join(
                a.get("Title", "") for a in _items(fields))
        except BadXML:
            text = reply_xml
    return {"status": res.status_code, "reply": text}


def _items(fields: dict[str, Any]) -> list[dict[str, Any]]:
    items = (fields.get("Articles") or {}).get("item") or []
    return items if isinstance(items, list) else [items]


def messages_since(app: Flask, openid: str, after: int) -> list[dict[str, Any]]:
    with app.extensions["linli"].factory() as s:
        rows = s.scalars(select(SandboxMessage).where(
            SandboxMessage.openid == openid, SandboxMessage.id > after)
            .order_by(SandboxMessage.id).limit(200))
        return [{"id": r.id, "direction": r.direction, "api": r.api, "text": describe(r.body),
                 "app_id": r.app_id, "at": r.created_at.isoformat()} for r in rows]


def describe(body: dict[str, Any]) -> str:
    """The human-readable text of any recorded message."""
    if "text" in body and isinstance(body["text"], dict):
        return str(body["text"].get("content", ""))
    if body.get("articles"):
        return "\n".join(a.get("title", "") for a in body["articles"])
    if body.get("text"):
        return str(body["text"])
    if body.get("template_id"):
        data = body.get("data") or {}
        return "\n".join(str(v.get("value", "")) for v in data.values() if isinstance(v, dict))
    if body.get("event"):
        return f"[{body['event']} {body.get('key') or ''}]".strip()
    if body.get("type") and body["type"] != "text":
        return f"[{body['type']}]"
    return ""


@bp.get("/")
def page() -> str:
    settings = current_app.extensions["linli"].settings
    return render_template("sandbox/chat.html", community=settings.community.name,
                           menu=sorted(settings.wechat.menu.items()),
                           accounts=[(a.app_id, a.community) for a in settings.accounts])


@bp.post("/send")
def send_view() -> Response:
    data = request.get_json(silent=True) or {}
    openid = str(data.get("openid", ""))
    if not OPENID.match(openid):
        return jsonify({"error": "openid: 1-64 letters, digits, _ or -"}), 400  # type: ignore[return-value]
    if data.get("type", "text") not in ("text", "voice", "image", "location", "event"):
        return jsonify({"error": "unknown type"}), 400  # type: ignore[return-value]
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        return jsonify(send(app, openid, data, str(data.get("account") or "") or None))
    except UnknownAccount as exc:
        return jsonify({"error": str(exc)}), 400  # type: ignore[return-value]


@bp.get("/messages")
def messages_view() -> Response:
    openid = request.args.get("openid", "")
    if not OPENID.match(openid):
        return jsonify({"messages": []})
    after = request.args.get("after", "0")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return jsonify({"messages": messages_since(app, openid, int(after) if after.isdigit() else 0)})
