"""Requests in the console, in a real browser: the queue, accepting and resolving a request
(the resident's pushes arrive at the stand-in WeChat API), the timeline, a resident's
<script> shown as text, and the charts of the dashboard and the public page."""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from models.db import transaction
from tests import factories
from tests.console.conftest import DESKTOP, PHONE, add_staff, login, shot, wait_for_push
from tests.wechat_side import WeChatSide

XSS = '楼道灯坏了<script>alert("x")</script><img src=x onerror=alert(1)>'


def _file(site: Any, openid: str, text: str, category: str = "repair") -> str:
    from models.complaint_rules import file_complaint
    with transaction(site.factory) as s:
        h = factories.household(s, room="301")
        factories.resident(s, openid, h)
        c = file_complaint(s, h, openid, text, category, site.clock(), ZoneInfo("Asia/Shanghai"))
        return c.ticket


def test_staff_accept_and_resolve_a_request_and_the_resident_is_told(site: Any, page_for: Any) -> None:
    add_staff(site.factory, "grid", "网格员", "李网格")
    ticket = _file(site, "wx-res-9", XSS)
    _file(site, "wx-res-8", "小区门口乱停车", "parking")
    WeChatSide(site.app).say("wx-res-9", "你好")   # opens the 48 h customer-service window
    page = page_for(PHONE)
    login(page, site.url, "grid")
    page.click("nav >> text=诉求")
    assert page.locator("#queue tbody tr").count() == 2
    page.select_option("#f-category", "repair")
    page.click("form.filters button")
    assert page.locator("#queue tbody tr").count() == 1
    shot(page, "requests-phone")
    page.click(f"text={ticket}")
    assert page.inner_text("#request-text") == XSS          # the resident's text, as text
    page.click("#actions button:has-text('受理')")
    assert "已受理" in page.inner_text(".flash") and page.inner_text("#state").startswith("已受理")
    wait_for_push(site.factory, "wx-res-9", f"{ticket}）已受理")
    page.fill("#resolve-note", "已更换楼道灯泡")
    page.click("#actions button:has-text('办结')")
    assert page.inner_text("#state").startswith("已办结")
    assert "已更换楼道灯泡" in page.inner_text("#timeline")
    wait_for_push(site.factory, "wx-res-9", "已办结：已更换楼道灯泡")
    shot(page, "request-detail-phone")
    assert page.dialogs == []


def test_charts_render_on_the_dashboard_and_the_public_page(site: Any, page_for: Any) -> None:
    add_staff(site.factory, "wang", "管理员", "王主任")
    _file(site, "wx-res-1", "垃圾没人收", "sanitation")
    _file(site, "wx-res-2", "楼上装修太吵", "noise")
    page = page_for(DESKTOP)
    login(page, site.url, "wang")
    assert page.locator("main .chart svg").count() >= 2
    assert page.locator("main svg script").count() == 0
    shot(page, "dashboard-with-charts-desktop")
    public = page_for(PHONE)                        # no login needed
    public.goto(f"{site.url}/public/")
    assert public.locator("#chart-category svg").count() == 1
    assert "环境卫生" in public.inner_text("#chart-category")
    body = public.inner_text("body")
    assert "垃圾没人收" not in body and "wx-res-1" not in body   # counts only
    assert public.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(public, "public-phone")
