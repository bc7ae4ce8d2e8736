"""A stand-in for the WeChat API, served by the app itself in sandbox mode.

It behaves like WeChat where Linli depends on it: tokens that expire and are replaced
(an old one stays valid 5 minutes after a new fetch), the 48 h customer-service window
and its 5 messages per user message, and it records every outbound message. Faults can
be injected for tests and benchmarks through /sandbox/api/_faults.

It stands in for every Official Account of the deployment (`wechat` and `accounts`): each
AppId gets its own tokens, each recorded message names the account it went out through,
and a push to an openid that writes through another account is refused (40003), as
WeChat does: an openid means something to one account only.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.db import transaction
from models.sandbox import SandboxMessage

bp = Blueprint("sandbox_api", __name__, url_prefix="/sandbox/api")

WINDOW = timedelta(hours=48)
PER_MESSAGE = 5


@dataclass
class StandIn:
    """Per-process state of the stand-in: issued tokens, injected faults, counters."""

    tokens: dict[str, list[tuple[str, float]]] = field(default_factory=dict)   # per AppId
    latency_ms: int = 0
    queue: list[dict[str, Any]] = field(default_factory=list)   # one fault per call, in order
    always: dict[str, Any] = field(default_factory=dict)        # a fault on every call
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Writes of this process one at a time (SQLite's busy handler sleeps in millisecond
    # steps under contention), and the window check and its record as one step.
    db_lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    def issue(self, app_id: str) -> str:
        token = "sbx" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[app_id] = [*self.tokens.get(app_id, []), (token, time.time())][-5:]
        return token

    def valid(self, token: str) -> str | None:
        """The AppId this token was issued to, while it is valid."""
        now = time.time()
        with self.lock:
            for app_id, tokens in self.tokens.items():
                for i, (t, issued) in enumerate(tokens):
                    if t != token or now - issued > 7200:
                        continue
                    replaced_at = tokens[i + 1][1] if i + 1 < len(tokens) else None
                    return app_id if replaced_at is None or now - replaced_at < 300 else None
        return None

    def next_fault(self, kind: str) -> dict[str, Any] | None:
        """The next fault meant for this kind of call (a fault may name one with "only")."""
        with self.lock:
            for i, fault in enumerate(self.queue):
                if fault.get("only") in (None, kind):
                    return self.queue.pop(i)
            if self.always and self.always.get("only") in (None, kind):
                return dict(self.always)
            return None


def _state() -> StandIn:
    return current_app.extensions["linli"].standin


def _err(code: int, msg: str) -> Response:
    return jsonify({"errcode": code, "errmsg": msg})


def _apply_faults(kind: str) -> Response | None:
    st = _state()
    if st.latency_ms:
        time.sleep(st.latency_ms / 1000)
    fault = st.next_fault(kind)
    if not fault:
        return None
    st.count("faults")
    if fault.get("hang"):
        time.sleep(float(fault["hang"]))
    if fault.get("http"):
        return Response("upstream error", status=int(fault["http"]))
    if fault.get("errcode"):
        return _err(int(fault["errcode"]), fault.get("errmsg", "injected fault"))
    return None


@bp.get("/cgi-bin/token")
def token() -> Response:
    st = _state()
    st.count("token")
    fault = _apply_faults("token")
    if fault is not None:
        return fault
    settings = current_app.extensions["linli"].settings
    secrets_by_app = {settings.wechat.app_id: settings.wechat.app_secret,
                      **{a.app_id: a.app_secret for a in settings.accounts}}
    app_id = request.args.get("appid", "")
    if app_id not in secrets_by_app or request.args.get("secret") != secrets_by_app[app_id]:
        return _err(40013 if app_id not in secrets_by_app else 40125, "invalid appid or secret")
    st.count(f"token:{app_id}")
    return jsonify({"access_token": st.issue(app_id), "expires_in": 7200})


def _authorised() -> str | Response:
    """The AppId the call's access token belongs to, or WeChat's answer to a bad token."""
    app_id = _state().valid(request.args.get("access_token", ""))
    if app_id is None:
        return _err(40001, "invalid credential, access_token is invalid or not latest")
    return app_id


def _follow_another(s: Session, openids: list[str], app_id: str) -> bool:
    """Does any of these openids write through another account (its latest message)?"""
    latest = select(func.max(SandboxMessage.id)).where(
        SandboxMessage.openid.in_(openids), SandboxMessage.direction == "in") \
        .group_by(SandboxMessage.openid)
    return bool(s.scalar(select(func.count()).select_from(SandboxMessage).where(
        SandboxMessage.id.in_(latest), SandboxMessage.app_id != app_id)))


def _record(openid: str | list[str], api: str, body: dict[str, Any], app_id: str) -> Response | None:
    """Record a push through `app_id`; WeChat's refusal when an openid is another account's."""
    factory = current_app.extensions["linli"].factory
    openids = [openid] if isinstance(openid, str) else openid
    with _state().db_lock, transaction(factory) as s:
        if _follow_another(s, openids, app_id):
            return _err(40003, "invalid openid")
        for one in openids:
            s.add(SandboxMessage(openid=one, direction="push", api=api, body=body, app_id=app_id))
    return None


def _payload() -> dict[str, Any] | None:
    data = request.get_json(silent=True, force=True)
    return data if isinstance(data, dict) else None


@bp.post("/cgi-bin/message/custom/send")
def custom_send() -> Response:
    _state().count("custom")
    if (r := _apply_faults("custom")) is not None:
        return r
    if isinstance(app_id := _authorised(), Response):
        return app_id
    data = _payload()
    if data is None or not data.get("touser"):
        return _err(44002, "empty post data")
    openid = str(data["touser"])
    factory = current_app.extensions["linli"].factory
    with _state().db_lock, transaction(factory) as s:
        if _follow_another(s, [openid], app_id):
            return _err(40003, "invalid openid")
        last_in = s.scalar(select(func.max(SandboxMessage.created_at)).where(
            SandboxMessage.openid == openid, SandboxMessage.direction == "in"))
        if last_in is None or utcnow() - last_in > WINDOW:
            return _err(45015, "response out of time limit or subscription is canceled")
        used = s.scalar(select(func.count()).select_from(SandboxMessage).where(
            SandboxMessage.openid == openid, SandboxMessage.direction == "push",
            SandboxMessage.api == "custom", SandboxMessage.created_at > last_in)) or 0
        if used >= PER_MESSAGE:
            return _err(45047, "out of response count limit")
        s.add(SandboxMessage(openid=openid, direction="push", api="custom", body=data, app_id=app_id))
    return _err(0, "ok")


@bp.post("/cgi-bin/message/template/send")
def template_send() -> Response:
    _state().count("template")
    if (r := _apply_faults("template")) is not None:
        return r
    if isinstance(app_id := _authorised(), Response):
        return app_id
    data = _payload()
    if data is None or not data.get("touser") or not data.get("template_id"):
        return _err(40037, "invalid template_id")
    if (r := _record(str(data["touser"]), "template", data, app_id)) is not None:
        return r
    return jsonify({"errcode": 0, "errmsg": "ok", "msgid": secrets.randbelow(10**12)})


@bp.post("/cgi-bin/message/mass/send")
def mass_send() -> Response:
    _state().count("mass")
    if (r := _apply_faults("mass")) is not None:
        return r
    if isinstance(app_id := _authorised(), Response):
        return app_id
    data = _payload()
    if data is None or not isinstance(data.get("touser"), list) or len(data["touser"]) < 2:
        return _err(40130, "invalid openid list size, at least two openid")
    if (r := _record([str(o) for o in data["touser"]], "mass", data, app_id)) is not None:
        return r
    return jsonify({"errcode": 0, "errmsg": "send job submission success",
                    "msg_id": secrets.randbelow(10**12)})


@bp.post("/cgi-bin/message/subscribe/bizsend")
def subscribe_send() -> Response:
    _state().count("subscribe")
    if (r := _apply_faults("subscribe")) is not None:
        return r
    if isinstance(app_id := _authorised(), Response):
        return app_id
    data = _payload()
    if data is None or not data.get("touser"):
        return _err(40003, "invalid openid")
    if (r := _record(str(data["touser"]), "subscribe", data, app_id)) is not None:
        return r
    return _err(0, "ok")


@bp.route("/_faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    """Inject faults: {"latency_ms": 20, "queue": [{"errcode": 45009}, {"http": 502}],
    "always": {"errcode": 40001}}; DELETE clears faults and counters."""
    st = _state()
    if request.method == "DELETE":
        with st.lock:
            st.latency_ms, st.queue, st.always, st.counts = 0, [], {}, {}
    elif request.method == "POST":
        data = _payload() or {}
        with st.lock:
            st.latency_ms = int(data.get("latency_ms", st.latency_ms))
            st.queue.extend(data.get("queue", []))
            if "always" in data:
                st.always = dict(data["always"] or {})
    return jsonify({"latency_ms": st.latency_ms, "queue": st.queue, "always": st.always,
                    "counts": st.counts})
