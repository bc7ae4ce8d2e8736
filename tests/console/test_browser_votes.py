"""Votes in the console, in a real browser: create a secret convention vote for a stairwell,
watch participation by household without any choice shown, then the result and the
adopted 楼道公约 on the public pages."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.db import transaction
from models.votes import Vote, cast_ballot
from notices.vote_jobs import close_vote
from tests import factories
from tests.console.conftest import DESKTOP, PHONE, add_staff, login, shot


def test_create_a_secret_vote_follow_participation_and_publish_the_result(site: Any, page_for: Any) -> None:
    add_staff(site.factory, "shegong", "社工", "陈社工")
    with transaction(site.factory) as s:
        homes = factories.stairwell(s, ["301", "302", "401"])
        for i, h in enumerate(homes):
            factories.resident(s, f"wx-v{i}", h, name=f"住户{i}")
        unit_id = homes[0].unit_id
    page = page_for(DESKTOP)
    login(page, site.url, "shegong")
    page.click("nav >> text=表决")
    page.click("text=发起表决")
    page.select_option("#scope", f"unit:{unit_id}")
    page.fill("#title", "3号楼2单元楼道公约")
    page.fill("#text", "一、楼道不堆放杂物。\n二、电动车不进楼道充电。")
    page.select_option("#kind", "convention")
    page.check("input[name=secret]")
    page.click("main button[type=submit]")
    assert "表决已创建并开始" in page.inner_text(".flash")
    assert page.inner_text("#vote-state") == "进行中"
    assert "0/3 户" in page.inner_text("#turnout-text")
    with transaction(site.factory) as s:
        vote = s.query(Vote).one()
        cast_ballot(s, vote, homes[0].id, "同意", "wx-v0", site.clock())
        cast_ballot(s, vote, homes[1].id, "同意", "wx-v1", site.clock())
        vote_id = vote.id
    page.reload()
    assert "2/3 户" in page.inner_text("#turnout-text")
    table = page.inner_text("#households")
    assert table.count("未投票") == 1 and "同意" not in table      # who took part, not how
    assert "结束前不显示计票" in page.inner_text("main")
    shot(page, "vote-open-desktop")
    with transaction(site.factory) as s:
        v = s.get(Vote, vote_id)
        v.closes_at = site.clock() - timedelta(minutes=1)
        close_vote(s, v, site.clock(), site.app.extensions["linli"].settings.community.tz)
    page.reload()
    assert "通过" in page.inner_text("main") and page.locator("main .chart svg").count() >= 1
    public = page_for(PHONE)
    public.goto(f"{site.url}/public/unit/{unit_id}")
    assert "电动车不进楼道充电" in public.inner_text("#convention")
    assert "同意 2 户" in public.inner_text("main") and public.locator(".chart svg").count() == 1
    body = public.inner_text("body")
    assert "住户0" not in body and "301" not in body              # nothing personal
    shot(public, "public-stairwell-phone")
    public.goto(f"{site.url}/public/")
    assert "3号楼2单元楼道公约" in public.inner_text("main") and "通过" in public.inner_text("main")
    shot(public, "public-index-phone")
