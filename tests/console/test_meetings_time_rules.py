"""Meetings in the console, in a real browser: capacity 0 means 不限 (as in the chat); check-in
and the outcome are refused a week ahead with the meeting's time, and work once it starts."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from models import meeting_signup as ms
from models.db import transaction
from models.meetings import Meeting, Signup
from tests import factories
from tests.console.conftest import DESKTOP, add_staff, login, pushes, wait_for_push
from tests.wechat_side import WeChatSide


def test_capacity_zero_and_the_day_of_steps(site: Any, page_for: Any) -> None:
    add_staff(site.factory, "juwei", "居委会", "周主任")
    with transaction(site.factory) as s:
        home = factories.household(s, room="301")
        factories.resident(s, "wx-m1", home, name="张三")
    WeChatSide(site.app).say("wx-m1", "你好")        # opens the customer-service window
    page = page_for(DESKTOP)
    login(page, site.url, "juwei")
    page.goto(f"{site.url}/console/meetings/new")
    page.fill("#title", "楼道堆物恳谈会")
    page.select_option("#meeting_type", "恳谈会")
    page.fill("#place", "社区活动室")
    page.fill("#starts", "2026-12-04T19:00")           # a week after the clock (11-27)
    page.fill("#capacity", "0")
    page.click("main button[type=submit]")
    assert "会议已创建" in page.inner_text(".flash")
    assert "不限人数" in page.inner_text("#signup-count")
    with transaction(site.factory) as s:
        m = s.scalars(select(Meeting)).one()
        assert m.capacity is None
        code = ms.sign_up(s, m.id, openid="wx-m1", household=s.merge(home), now=site.clock()).signup.checkin_code
        starts = m.starts_at
    page.reload()
    page.fill("#code", code)
    page.click("button:has-text('签到')")
    flash = page.inner_text(".flash")
    assert "还没到签到时间" in flash and "12月4日 19:00" in flash and "12月4日 17:00" in flash
    page.fill("#outcome", "决定每月第一个周六清理楼道。")
    page.click("button:has-text('发布结果')")
    flash = page.inner_text(".flash")
    assert "开会后才能发布" in flash and "12月4日 19:00" in flash
    with site.factory() as s:
        row = s.scalars(select(Signup)).one()
        assert row.checked_in_at is None and s.get(Meeting, row.meeting_id).outcome_posted_at is None
    assert not any("清理楼道" in t for t in pushes(site.factory, "wx-m1"))
    site.clock.t = starts + timedelta(minutes=10)
    WeChatSide(site.app).say("wx-m1", "你好")
    page.reload()
    page.fill("#code", code)
    page.click("button:has-text('签到')")
    assert "签到成功：张三" in page.inner_text(".flash")
    page.fill("#outcome", "决定每月第一个周六清理楼道。")
    page.click("button:has-text('发布结果')")
    assert "已通知 1 位参会居民" in page.inner_text(".flash")
    wait_for_push(site.factory, "wx-m1", "每月第一个周六清理楼道")
