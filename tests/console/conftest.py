"""Browser fixtures for the console tests: Debian's Chromium driven by Playwright (never a
downloaded browser), one browser per test module, a fresh context (cookies) per test."""
from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from models.db import transaction
from models.sandbox import SandboxMessage
from tests import factories

CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "correct-horse-42"
# Daytime in the community (10:00 in Shanghai): pushes are not held for quiet hours.
DAYTIME = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (.ci/run installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page_for(browser: Any) -> Iterator[Callable[..., Any]]:
    """page_for(viewport=PHONE) -> a page in a fresh context that records dialogs."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None) -> Any:
        ctx = browser.new_context(viewport=viewport or DESKTOP, locale="zh-CN")
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.dialogs = []  # type: ignore[attr-defined]

        def on_dialog(d: Any) -> None:
            page.dialogs.append(d.message)  # type: ignore[attr-defined]
            d.dismiss()
        page.on("dialog", on_dialog)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


class Clock:
    """A clock the test moves; the service, the console and the sender read it."""

    def __init__(self, start: datetime = DAYTIME):
        self.t = start

    def __call__(self) -> datetime:
        return self.t


@pytest.fixture
def site(live: Any) -> Any:
    """The live app on a clock fixed in daytime."""
    srv = live()
    srv.clock = Clock()
    srv.app.extensions["linli"].service.clock = srv.clock
    srv.factory = srv.app.extensions["linli"].factory
    return srv


def add_staff(factory: Any, username: str, role: str, name: str = "李网格",
              password: str = PASSWORD) -> int:
    with transaction(factory) as s:
        st = factories.staff(s, f"wx-{username}", role, name)
        # A cheap hash method keeps the tests fast; the app checks whatever method is stored.
        st.username = username
        st.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1000")
        return st.id


def login(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pushes(factory: Any, openid: str) -> list[str]:
    """What the stand-in WeChat API received for this person (text of each push)."""
    with factory() as s:
        rows = s.scalars(select(SandboxMessage).where(SandboxMessage.openid == openid,
                                                      SandboxMessage.direction == "push")
                         .order_by(SandboxMessage.id))
        out = []
        for m in rows:
            b = m.body or {}
            out.append(str((b.get("text") or {}).get("content") or b.get("data") or b))
        return out


def wait_for_push(factory: Any, openid: str, pattern: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for text in pushes(factory, openid):
            if re.search(pattern, text):
                return text
        time.sleep(0.1)
    raise AssertionError(f"no push matching {pattern!r} for {openid}: {pushes(factory, openid)}")
