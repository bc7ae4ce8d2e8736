"""Bulletins in the console, in a real browser: compose with a preview (nothing written),
publish now, and read the delivery statistics by channel (one resident reachable by
customer-service message, one only through the inbox)."""
from __future__ import annotations

import time
from typing import Any

from models.bulletins import Bulletin
from models.db import transaction
from tests import factories
from tests.console.conftest import DESKTOP, add_staff, login, shot, wait_for_push
from tests.wechat_side import WeChatSide

TITLE = '明天停水<script>alert("x")</script>'


def test_preview_then_publish_and_see_delivery_statistics(site: Any, page_for: Any) -> None:
    add_staff(site.factory, "shegong", "社工", "陈社工")
    with transaction(site.factory) as s:
        homes = factories.stairwell(s, ["301", "302"])
        factories.resident(s, "wx-b1", homes[0])
        factories.resident(s, "wx-b2", homes[1])
        unit_id = homes[0].unit_id
    WeChatSide(site.app).say("wx-b1", "你好")        # only wx-b1 can get a customer-service message
    page = page_for(DESKTOP)
    login(page, site.url, "shegong")
    page.click("nav >> text=通知")
    page.click("text=发布通知")
    page.select_option("#topic", "停水停电")
    page.select_option("#scope", f"unit:{unit_id}")
    page.fill("#title", TITLE)
    page.fill("#body", "明天 9:00–12:00 检修水管，请提前储水。")
    page.click("button:has-text('预览')")
    preview = page.inner_text("#preview")
    assert f"【停水停电】{TITLE}" in preview and "请提前储水" in preview
    with site.factory() as s:
        assert s.query(Bulletin).count() == 0                   # a preview writes nothing
    shot(page, "bulletin-preview-desktop")
    page.click("button:has-text('发布')")
    assert "通知已发布" in page.inner_text(".flash")
    wait_for_push(site.factory, "wx-b1", "请提前储水")
    deadline = time.monotonic() + 10
    def settled() -> bool:   # both rows written (sending happens off the request thread)
        text = page.inner_text("#delivery")
        return "进收件箱" in text and "已送达" in text and "发送中" not in text and "待发送" not in text
    while not settled() and time.monotonic() < deadline:
        time.sleep(0.2)
        page.reload()
    stats = page.inner_text("#delivery")
    assert "已送达\t1" in stats and "进收件箱\t1" in stats and "客服消息\t1" in stats
    assert page.locator("#delivery svg").count() >= 1
    shot(page, "bulletin-stats-desktop")
    assert page.dialogs == []
