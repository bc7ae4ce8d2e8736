"""Merging in a real browser: two requests of another category and building are shown side by
side, nothing happens until 确认合并 is pressed, and the page then says where it went."""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from models.complaint_rules import file_complaint
from models.db import transaction
from tests import factories
from tests.console.conftest import PHONE, add_staff, login, shot


def _file(site: Any, openid: str, building: str, text: str, category: str) -> str:
    with transaction(site.factory) as s:
        h = factories.household(s, building=building, room="101")
        factories.resident(s, openid, h)
        return file_complaint(s, h, openid, text, category, site.clock(), ZoneInfo("Asia/Shanghai")).ticket


def test_merging_unrelated_requests_waits_for_the_confirm_button(site: Any, page_for: Any) -> None:
    add_staff(site.factory, "zhao", "居委会", "赵主任")
    rail = _file(site, "wx-r3", "3", "楼梯扶手松了", "repair")
    rubbish = _file(site, "wx-r5", "5", "楼下垃圾没人清", "sanitation")
    page = page_for(PHONE)
    login(page, site.url, "zhao")
    page.goto(f"{site.url}/console/requests/{rubbish}")
    page.fill("#target", rail)
    page.click("#actions button:has-text('合并')")
    box = page.inner_text("#merge-confirm")
    assert "类别和楼栋不一样" in box and "楼下垃圾没人清" in box and "楼梯扶手松了" in box
    assert "5号楼" in box and "3号楼" in box
    assert page.inner_text("#state").startswith("已提交")
    shot(page, "request-merge-confirm-phone")
    page.click("#merge-confirm button:has-text('确认合并')")
    assert page.inner_text("#state").startswith("已合并")
    assert f"已把 {rubbish} 合并到 {rail}" in page.inner_text(".flash")
    assert page.locator("#merge-confirm").count() == 0
