"""What every console and public view shares: the blueprints, the app's parts, the clock,
one short transaction per use, and time shown in the community's zone."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app
from sqlalchemy.orm import Session

from models.db import transaction

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")
public_bp = Blueprint("public", __name__, url_prefix="/public", template_folder="templates")


def linli() -> Any:
    return current_app.extensions["linli"]


def now() -> datetime:
    """The service's clock (tests replace it to travel in time)."""
    return linli().service.clock()


@contextmanager
def db() -> Iterator[Session]:
    """One short unit of work. Kept short on purpose: on SQLite every transaction takes
    the write lock at BEGIN, so a view never holds one while rendering."""
    with transaction(linli().factory) as s:
        yield s


def local(dt: datetime | None, fmt: str = "short") -> str:
    """12月3日 19:30 (short), 2026-12-03 19:30 (full), 12月3日 (day)."""
    if dt is None:
        return "—"
    t = dt.astimezone(linli().settings.community.tz)
    if fmt == "full":
        return f"{t:%Y-%m-%d %H:%M}"
    if fmt == "day":
        return f"{t.month}月{t.day}日"
    return f"{t.month}月{t.day}日 {t:%H:%M}"


def parse_local(text: str) -> datetime | None:
    """A datetime-local form value (2026-12-03T19:30) in community time → aware UTC."""
    from datetime import UTC
    text = (text or "").strip()
    if not text:
        return None
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        return None
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=linli().settings.community.tz).astimezone(UTC)


def form_value(dt: datetime | None) -> str:
    """An aware datetime as a datetime-local form value in community time."""
    if dt is None:
        return ""
    return f"{dt.astimezone(linli().settings.community.tz):%Y-%m-%dT%H:%M}"


# The console's menu: (endpoint, label, action needed to see it).
MENU = [
    ("console.dashboard", "工作台", "console.view"),
    ("console.requests", "诉求", "complaint.todo"),
    ("console.votes", "表决", "console.view"),
    ("console.meetings", "会议", "console.view"),
    ("console.bulletins", "通知", "console.view"),
    ("console.bindings", "绑定审核", "binding.review"),
    ("console.roster", "名册导入", "roster.import"),
    ("console.staff_list", "工作人员", "staff.manage"),
]


def menu() -> list[tuple[str, str]]:
    """The menu entries that exist in this build and that this staff member may open."""
    from flask import current_app

    from console.auth import allowed
    return [(e, label) for e, label, action in MENU
            if e in current_app.view_functions and allowed(action)]


def send_soon(ids: list[int]) -> None:
    """Send pushes queued by a console action, after its commit, off the request thread
    (the delivery job retries anything that fails here)."""
    if not ids:
        return
    parts = linli()
    parts.service.pool.submit(parts.service._send_quietly, list(ids))
