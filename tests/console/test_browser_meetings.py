"""Meetings in the console, in a real browser: create one, check a resident in by code,
export the roster (CSV) and the iCalendar event, post the outcome (pushed to attendees)."""
from __future__ import annotations

import csv
import io
from typing import Any

from models import meeting_signup as ms
from models.db import transaction
from models.meetings import Meeting
from tests import factories
from tests.console.conftest import PHONE, add_staff, login, shot, wait_for_push
from tests.wechat_side import WeChatSide


def test_create_check_in_export_and_post_the_outcome(site: Any, page_for: Any) -> None:
    add_staff(site.factory, "juwei", "居委会", "周主任")
    with transaction(site.factory) as s:
        homes = factories.stairwell(s, ["301", "302"])
        factories.resident(s, "wx-m1", homes[0], name="张三")
        factories.resident(s, "wx-m2", homes[1], name="<b>李四</b>")
    page = page_for(PHONE)
    login(page, site.url, "juwei")
    page.click("nav >> text=会议")
    page.click("text=创建会议")
    page.fill("#title", "楼道堆物恳谈会")
    page.select_option("#meeting_type", "恳谈会")
    page.fill("#place", "社区活动室")
    page.fill("#capacity", "1")
    page.click("main button[type=submit]")
    assert "会议已创建" in page.inner_text(".flash")
    with transaction(site.factory) as s:
        m = s.query(Meeting).one()
        h1, h2 = s.merge(homes[0]), s.merge(homes[1])
        first = ms.sign_up(s, m.id, openid="wx-m1", household=h1, now=site.clock())
        second = ms.sign_up(s, m.id, openid="wx-m2", household=h2, now=site.clock())
        assert (first.reason, second.reason) == ("confirmed", "waitlisted")
        code, meeting_id = first.signup.checkin_code, m.id
        starts = m.starts_at
    site.clock.t = starts   # check-in opens shortly before the meeting
    page.reload()
    roster = page.inner_text("#roster")
    assert "张三" in roster and "<b>李四</b>" in roster and "候补" in roster
    page.fill("#code", code)
    page.click("button:has-text('签到')")
    assert "签到成功：张三" in page.inner_text(".flash")
    assert "已签到 1 人" in page.inner_text("#signup-count")
    with page.expect_download() as dl:
        page.click("#csv")
    rows = list(csv.reader(io.StringIO(open(dl.value.path(), encoding="utf-8-sig").read())))
    assert rows[0] == ["姓名", "住户", "状态", "候补顺序", "签到码", "签到时间"]
    assert rows[1][0] == "张三" and rows[1][2] == "报名成功" and rows[1][5]   # checked in
    assert rows[2][0] == "<b>李四</b>" and rows[2][2] == "候补"
    with page.expect_download() as dl:
        page.click("#ics")
    ics = open(dl.value.path(), encoding="utf-8").read()
    assert "BEGIN:VEVENT" in ics and "楼道堆物恳谈会" in ics and "社区活动室" in ics
    WeChatSide(site.app).say("wx-m1", "你好")        # opens the customer-service window
    page.fill("#outcome", "决定每月第一个周六清理楼道。")
    page.click("button:has-text('发布结果')")
    assert "已通知 1 位参会居民" in page.inner_text(".flash")
    wait_for_push(site.factory, "wx-m1", "每月第一个周六清理楼道")
    shot(page, "meeting-phone")
    assert page.dialogs == [] and meeting_id
