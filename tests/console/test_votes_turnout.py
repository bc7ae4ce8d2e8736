"""Votes in the console, in a real browser: an owners-only (civil_code) vote is counted as the
chat counts it (owners only; a tenant is not listed as a non-voter), and extending a vote in
the console tells the households the new deadline."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.community import Scope
from models.db import transaction
from models.votes import Vote, cast_ballot, create_vote
from notices.vote_jobs import open_vote
from tests import factories
from tests.console.conftest import DESKTOP, add_staff, login, wait_for_push
from tests.wechat_side import WeChatSide


def _open_vote(site: Any, rule: str) -> tuple[int, int]:
    """An open vote for 3号楼2单元: owner 301 (voted 同意), tenant 302; (vote id, unit id)."""
    tz = site.app.extensions["linli"].settings.community.tz
    with transaction(site.factory) as s:
        owner = factories.household(s, room="301")
        tenant = factories.household(s, room="302", tenure="tenant")
        factories.resident(s, "wx-owner", owner, name="业主")
        factories.resident(s, "wx-tenant", tenant, name="租户")
        scope = Scope("unit", owner.unit_id, "黄巷新村3号楼2单元")
        v = create_vote(s, scope, "外墙维修", "用公共收益维修外墙。", rule=rule,
                        closes_at=site.clock() + timedelta(days=3), now=site.clock())
        open_vote(s, v, site.clock(), tz)
        cast_ballot(s, v, owner.id, "同意", "wx-owner", site.clock())
        return v.id, owner.unit_id


def test_owners_only_turnout_matches_the_chat(site: Any, page_for: Any) -> None:
    add_staff(site.factory, "juwei", "居委会", "周主任")
    vid, _ = _open_vote(site, "civil_code")
    chat = WeChatSide(site.app).say("wx-owner", f"表决 {vid}")
    assert "已投 1/1 户" in chat and "只计业主" in chat
    page = page_for(DESKTOP)
    login(page, site.url, "juwei")
    page.goto(f"{site.url}/console/votes/{vid}")
    turnout = page.inner_text("#turnout-text")
    assert "1/1 户" in turnout and "只计业主" in turnout
    table = page.inner_text("#households")
    assert "301室" in table and "302室" not in table and "未投票" not in table
    page.goto(f"{site.url}/console/votes")
    assert "1/1 户" in page.inner_text("#votes")


def test_extending_in_the_console_tells_the_households(site: Any, page_for: Any) -> None:
    add_staff(site.factory, "juwei", "居委会", "周主任")
    vid, _ = _open_vote(site, "household")
    for openid in ("wx-owner", "wx-tenant"):
        WeChatSide(site.app).say(openid, "你好")   # opens the customer-service window
    page = page_for(DESKTOP)
    login(page, site.url, "juwei")
    page.goto(f"{site.url}/console/votes/{vid}")
    assert "2 户" in page.inner_text("#turnout-text")   # household rule: tenants count
    page.fill("input[name=closes]", "2026-12-05T18:00")
    page.click("button:has-text('延长')")
    assert "截止时间已修改" in page.inner_text(".flash")
    for openid in ("wx-owner", "wx-tenant"):
        text = wait_for_push(site.factory, openid, "截止时间改为")
        assert "12月5日 18:00" in text and "外墙维修" in text
    with site.factory() as s:
        v = s.get(Vote, vid)
        assert v is not None and v.closes_at.astimezone(
            site.app.extensions["linli"].settings.community.tz).strftime("%m-%d %H:%M") == "12-05 18:00"
