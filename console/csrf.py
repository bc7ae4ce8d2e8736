"""CSRF protection for every form of the console: one random token per session, sent back
in a hidden field (or the X-CSRF-Token header) with every POST and compared in constant time."""
from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def token() -> str:
    """The session's token, created on first use (the login form gets one too)."""
    tok = session.get(FIELD)
    if not tok:
        tok = session[FIELD] = secrets.token_urlsafe(32)
    return tok


def rotate() -> str:
    """A new token (at login, so a token seen before login is worth nothing after)."""
    tok = session[FIELD] = secrets.token_urlsafe(32)
    return tok


def check() -> None:
    """before_request of the console: refuse an unsafe request without the right token (400)."""
    if request.method not in UNSAFE:
        return
    expected = session.get(FIELD)
    sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    if not expected or not hmac.compare_digest(str(expected), str(sent)):
        abort(400, description="csrf")
