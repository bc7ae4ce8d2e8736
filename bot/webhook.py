"""The /wechat view: a thin adapter from Flask to Inbound and back.

GET answers WeChat's URL verification; POST takes messages in plaintext, compatible
or safe mode, chosen per request (encrypt_type=aes with msg_signature) as WeChat does.
Forged → 403, not a WeChat message → 400, too large → 413; never a 500.

/wechat is the deployment's own account (`wechat`); /wechat/<app_id> a community's
(`accounts`), checked with that account's token, EncodingAESKey and AppId: a message
signed or encrypted for another account → 403, an AppId not configured → 404.
"""
from __future__ import annotations

import dataclasses
import logging
import secrets
import time

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import OperationalError

from bot import crypto, metrics
from bot.inbound import from_fields
from bot.service import MessageService
from bot.xmlutil import BadXML, field_text, parse_xml
from settings import Settings

log = logging.getLogger(__name__)
bp = Blueprint("wechat", __name__)


def _plain(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def _settings() -> Settings:
    return current_app.extensions["linli"].settings


@dataclasses.dataclass(frozen=True)
class _Keys:
    """What checks a message for one account."""

    app_id: str
    token: str
    encoding_aes_key: str
    original_id: str       # gh_…: when set, ToUserName must be it (plaintext has no AppId)
    account: str | None    # Inbound.app_id: None for the deployment's own account


def _keys(s: Settings, app_id: str | None) -> _Keys | None:
    if app_id is None or app_id == s.wechat.app_id:
        w = s.wechat
        return _Keys(w.app_id, w.token, w.encoding_aes_key, "", None)
    a = s.account(app_id)
    if a is None:
        return None
    return _Keys(a.app_id, a.token, a.encoding_aes_key, a.original_id, a.app_id)


def _crypto(k: _Keys) -> crypto.MessageCrypto | None:
    if not k.encoding_aes_key:
        return None
    return crypto.MessageCrypto(k.token, k.encoding_aes_key, k.app_id)


def _args() -> tuple[str, str]:
    return request.args.get("timestamp", ""), request.args.get("nonce", "")


def _stale(timestamp: str, skew: int) -> bool:
    if skew <= 0:
        return False
    try:
        return abs(time.time() - int(timestamp)) > skew
    except ValueError:
        return True


@bp.get("/wechat")
@bp.get("/wechat/<app_id>")
def verify_url(app_id: str | None = None) -> Response:
    keys = _keys(_settings(), app_id)
    if keys is None:
        return _plain("unknown account", 404)
    timestamp, nonce = _args()
    echostr = request.args.get("echostr", "")
    try:
        crypto.verify((keys.token, timestamp, nonce), request.args.get("signature"))
    except crypto.SignatureError:
        return _plain("forbidden", 403)
    return _plain(echostr, 200)


@bp.post("/wechat")
@bp.post("/wechat/<app_id>")
def receive(app_id: str | None = None) -> Response:
    s = _settings()
    keys = _keys(s, app_id)
    if keys is None:
        return _plain("unknown account", 404)
    limit = s.server.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _plain("request body too large", 413)
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        return _plain("request body too large", 413)
    timestamp, nonce = _args()
    try:
        crypto.verify((keys.token, timestamp, nonce), request.args.get("signature"))
    except crypto.SignatureError:
        return _plain("forbidden", 403)
    if _stale(timestamp, s.server.max_clock_skew_seconds):
        return _plain("stale timestamp", 403)  # a captured request replayed later

    encrypted = request.args.get("encrypt_type", "raw").lower() == "aes"
    box = _crypto(keys)
    try:
        fields = parse_xml(body)
        if encrypted:
            if box is None:
                return _plain("encrypted message but no EncodingAESKey configured", 400)
            xml = box.decrypt(field_text(fields.get("Encrypt")), request.args.get("msg_signature"),
                              timestamp, nonce)
            fields = parse_xml(xml)
        inbound = from_fields(fields, keys.account)
    except crypto.SignatureError:
        return _plain("forbidden", 403)
    except crypto.ForeignAppError:
        return _plain("message for another AppId", 403)
    except (BadXML, crypto.DecryptError) as exc:
        log.info("bad webhook body: %s", exc)
        return _plain("not a WeChat message", 400)
    if keys.original_id and inbound.to != keys.original_id:
        return _plain("message for another account", 403)

    service: MessageService = current_app.extensions["linli"].service
    started = time.perf_counter()
    try:
        outcome = service.handle(inbound)
    except OperationalError:
        metrics.MESSAGES.labels("unknown", "db_unavailable").inc()
        return _plain("temporarily unavailable", 503)  # WeChat retries
    metrics.MESSAGES.labels(outcome.intent or inbound.msg_type, outcome.label).inc()
    metrics.LATENCY.observe(time.perf_counter() - started)
    if outcome.reply is None:
        return _plain("success", 200)
    xml = outcome.reply.render(to_user=inbound.openid, from_user=inbound.to, now=int(time.time()))
    if encrypted and box is not None:
        xml = box.encrypt(xml, nonce=secrets.token_hex(8), timestamp=str(int(time.time())))
    return Response(xml, status=200, mimetype="application/xml")
