"""A stand-in for the WeChat API, served by the app itself in sandbox mode.

It behaves like WeChat where Linli depends on it: tokens that expire and are replaced
(an old one stays valid 5 minutes after a new fetch), the 48 h customer-service window
and its 5 messages per user message, and it records every outbound message. Faults can
be injected for tests and benchmarks through /sandbox/api/_faults.
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

from models.base import utcnow
from models.db import transaction
from models.sandbox import SandboxMessage

bp = Blueprint("sandbox_api", __name__, url_prefix="/sandbox/api")

WINDOW = timedelta(hours=48)
PER_MESSAGE = 5


@dataclass
class StandIn:
    """Per-process state of the stand-in: issued tokens, injected faults, counters."""

    tokens: list[tuple[str, float]] = field(default_factory=list)
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

    def issue(self) -> str:
        token = "sbx" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.append((token, time.time()))
            self.tokens = self.tokens[-5:]
        return token

    def valid(self, token: str) -> bool:
        now = time.time()
        with self.lock:
            for i, (t, issued) in enumerate(self.tokens):
                if t != token or now - issued > 7200:
                    continue
                replaced_at = self.tokens[i + 1][1] if i + 1 < len(self.tokens) else None
                return replaced_at is None or now - replaced_at < 300
        return False

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
    w = current_app.extensions["linli"].settings.wechat
    if request.args.get("appid") != w.app_id or request.args.get("secret") != w.app_secret:
        return _err(40013 if request.args.get("appid") != w.app_id else 40125, "invalid appid or secret")
    return jsonify({"access_token": st.issue(), "expires_in": 7200})


def _authorised() -> Response | None:
    if not _state().valid(request.args.get("access_token", "")):
        return _err(40001, "invalid credential, access_token is invalid or not latest")
    return None


def _record(openid: str | list[str], api: str, body: dict[str, Any]) -> None:
    factory = current_app.extensions["linli"].factory
    with _state().db_lock, transaction(factory) as s:
        for one in [openid] if isinstance(openid, str) else openid:
            s.add(SandboxMessage(openid=one, direction="push", api=api, body=body))


def _payload() -> dict[str, Any] | None:
    data = request.get_json(silent=True, force=True)
    return data if isinstance(data, dict) else None


@bp.post("/cgi-bin/message/custom/send")
def custom_send() -> Response:
    _state().count("custom")
    if (r := _apply_faults("custom") or _authorised()) is not None:
        return r
    data = _payload()
    if data is None or not data.get("touser"):
        return _err(44002, "empty post data")
    openid = str(data["touser"])
    factory = current_app.extensions["linli"].factory
    with _state().db_lock, transaction(factory) as s:
        last_in = s.scalar(select(func.max(SandboxMessage.created_at)).where(
            SandboxMessage.openid == openid, SandboxMessage.direction == "in"))
        if last_in is None or utcnow() - last_in > WINDOW:
            return _err(45015, "response out of time limit or subscription is canceled")
        used = s.scalar(select(func.count()).select_from(SandboxMessage).where(
            SandboxMessage.openid == openid, SandboxMessage.direction == "push",
            SandboxMessage.api == "custom", SandboxMessage.created_at > last_in)) or 0
        if used >= PER_MESSAGE:
            return _err(45047, "out of response count limit")
        s.add(SandboxMessage(openid=openid, direction="push", api="custom", body=data))
    return _err(0, "ok")


@bp.post("/cgi-bin/message/template/send")
def template_send() -> Response:
    _state().count("template")
    if (r := _apply_faults("template") or _authorised()) is not None:
        return r
    data = _payload()
    if data is None or not data.get("touser") or not data.get("template_id"):
        return _err(40037, "invalid template_id")
    _record(str(data["touser"]), "template", data)
    return jsonify({"errcode": 0, "errmsg": "ok", "msgid": secrets.randbelow(10**12)})


@bp.post("/cgi-bin/message/mass/send")
def mass_send() -> Response:
    _state().count("mass")
    if (r := _apply_faults("mass") or _authorised()) is not None:
        return r
    data = _payload()
    if data is None or not isinstance(data.get("touser"), list) or len(data["touser"]) < 2:
        return _err(40130, "invalid openid list size, at least two openid")
    _record([str(o) for o in data["touser"]], "mass", data)
    return jsonify({"errcode": 0, "errmsg": "send job submission success",
                    "msg_id": secrets.randbelow(10**12)})


@bp.post("/cgi-bin/message/subscribe/bizsend")
def subscribe_send() -> Response:
    _state().count("subscribe")
    if (r := _apply_faults("subscribe") or _authorised()) is not None:
        return r
    data = _payload()
    if data is None or not data.get("touser"):
        return _err(40003, "invalid openid")
    _record(str(data["touser"]), "subscribe", data)
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
