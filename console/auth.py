"""Staff login with a username and a hashed password, lockout after repeated failures,
logout, and the `requires(action)` decorator every console page goes through."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, g, redirect, render_template, request, session, url_for
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from console import csrf
from console.web import bp, db, now
from models import authz
from models.people import Staff

# Pages every active staff member may open (their actions are checked one by one).
VIEW = "console.view"
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 8
# Compared against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")

TEXTS = {
    "bad": "用户名或密码不对。",
    "locked": "密码错误次数太多，账号已锁定，请 {minutes} 分钟后再试。",
    "now_locked": "密码连续错误 {n} 次，账号已锁定 {minutes} 分钟。",
    "left": "用户名或密码不对（再错 {left} 次账号将锁定 {minutes} 分钟）。",
    "empty": "请填写用户名和密码。",
}

F = TypeVar("F", bound=Callable[..., Any])


def current_staff() -> Staff | None:
    """The logged-in, still active staff member of this request (loaded once)."""
    if "staff" not in g:
        staff = None
        sid = session.get("staff_id")
        if isinstance(sid, int):
            with db() as s:
                staff = s.get(Staff, sid)
            # A deactivated account, or a password changed since this login, ends the session.
            if staff is not None and (not staff.active or session.get("pw") != _stamp(staff)):
                staff = None
        g.staff = staff
    return g.staff


def _stamp(staff: Staff) -> str:
    """A short fingerprint of the password hash, kept in the session to notice a reset."""
    return hashlib.sha256((staff.password_hash or "").encode()).hexdigest()[:16]


def requires(action: str) -> Callable[[F], F]:
    """Login required, then authz.can(staff, action); a wrong role gets the 403 page."""
    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            staff = current_staff()
            if staff is None:
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            if not allowed(action):
                abort(403)
            return view(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate


def allowed(action: str) -> bool:
    """May the logged-in staff member do this? (Templates show only what they may use.)"""
    staff = current_staff()
    if action == VIEW:
        return staff is not None
    return authz.can(staff, action)


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/console/"):
            return target
    return url_for("console.dashboard")


def attempt(username: str, password: str) -> tuple[Staff | None, str]:
    """Check a login; counts failures and locks the account after MAX_FAILURES."""
    minutes = int(LOCKOUT.total_seconds() // 60)
    t = now()
    with db() as s:
        staff = s.scalars(select(Staff).where(Staff.username == username)).first()
    if staff is None or not staff.active or not staff.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None, TEXTS["bad"]
    if staff.locked_until is not None and staff.locked_until > t:
        left = max(1, int((staff.locked_until - t).total_seconds() + 59) // 60)
        return None, TEXTS["locked"].format(minutes=left)
    # The hash is checked outside any transaction (it is slow on purpose).
    ok = check_password_hash(staff.password_hash, password)
    with db() as s:
        if ok:
            s.execute(update(Staff).where(Staff.id == staff.id)
                      .values(failed_logins=0, locked_until=None))
            return staff, ""
        # Counted with one conditional UPDATE: concurrent wrong guesses all count.
        s.execute(update(Staff).where(Staff.id == staff.id)
                  .values(failed_logins=Staff.failed_logins + 1))
        count = s.scalar(select(Staff.failed_logins).where(Staff.id == staff.id)) or 0
        if count >= MAX_FAILURES:
            s.execute(update(Staff).where(Staff.id == staff.id)
                      .values(failed_logins=0, locked_until=t + LOCKOUT))
            return None, TEXTS["now_locked"].format(n=count, minutes=minutes)
    return None, TEXTS["left"].format(left=MAX_FAILURES - count, minutes=minutes)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = ""
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        if not username or not password:
            error = TEXTS["empty"]
        else:
            staff, error = attempt(username, password)
            if staff is not None:
                target = _safe_next(request.form.get("next"))
                session.clear()
                session.permanent = True
                session["staff_id"] = staff.id
                session["pw"] = _stamp(staff)
                csrf.rotate()
                return redirect(target)
    status = 401 if error else 200
    return render_template("console/login.html", error=error, username=username,
                           next=request.values.get("next", "")), status


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("console.login"))


def hash_password(password: str) -> str:
    return generate_password_hash(password)
