"""Requests in the console (Flask's test client): merging two requests of another category or
building needs an explicit confirm after both are shown; reassigning a request already in
progress is on the timeline, tells who had it, and the flash says who was actually told."""
from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models.complaint_rules import file_complaint
from models.complaints import Complaint
from models.db import transaction
from models.delivery import Delivery
from tests import factories
from tests.console.conftest import PASSWORD, add_staff

TZ = ZoneInfo("Asia/Shanghai")


def _token(client: Any, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(app: Any, username: str) -> Any:
    client = app.test_client()
    res = client.post("/console/login", data={"username": username, "password": PASSWORD,
                                               "csrf_token": _token(client, "/console/login")})
    assert res.status_code == 302
    return client


def _post(client: Any, path: str, **form: str) -> str:
    """Post a form and follow the redirect: the page the staff member then sees."""
    res = client.post(path, data={"csrf_token": _token(client, "/console/dashboard"), **form})
    assert res.status_code == 302, res.get_data(as_text=True)[:300]
    return client.get(res.location).get_data(as_text=True)


def _file(app: Any, openid: str, building: str, room: str, text: str, category: str) -> str:
    with transaction(app.extensions["linli"].factory) as s:
        h = factories.household(s, building=building, room=room)
        factories.resident(s, openid, h)
        from models.base import utcnow
        return file_complaint(s, h, openid, text, category, utcnow(), TZ).ticket


def _state(app: Any, ticket: str) -> tuple[str, int | None]:
    with app.extensions["linli"].factory() as s:
        c = s.scalars(select(Complaint).where(Complaint.ticket == ticket)).one()
        return c.state, c.assignee_id


def _pushes(app: Any, openid: str) -> list[str]:
    with app.extensions["linli"].factory() as s:
        return [d.body["text"] for d in s.scalars(select(Delivery).where(Delivery.openid == openid)
                                                  .order_by(Delivery.id))]


def test_merging_unrelated_requests_needs_an_explicit_confirm(app: Any) -> None:
    add_staff(app.extensions["linli"].factory, "zhao", "居委会", "赵主任")
    ma = add_staff(app.extensions["linli"].factory, "ma", "网格员", "马网格")
    rail = _file(app, "wx-r3", "3", "301", "楼梯扶手松了", "repair")
    rubbish = _file(app, "wx-r5", "5", "101", "楼下垃圾没人清", "sanitation")
    client = _login(app, "zhao")
    _post(client, f"/console/requests/{rubbish}/assign", assignee=str(ma))
    page = _post(client, f"/console/requests/{rubbish}/merge", target=rail)
    assert "类别和楼栋不一样" in page and 'id="merge-confirm"' in page
    for part in ("环境卫生", "5号楼2单元101室", "楼下垃圾没人清", "设施报修", "3号楼2单元301室", "楼梯扶手松了",
                 "确认合并"):
        assert part in page, part
    assert _state(app, rubbish)[0] == "in_progress"
    page = _post(client, f"/console/requests/{rubbish}/merge", target=rail, confirm="1")
    assert f"已把 {rubbish} 合并到 {rail}" in page and 'id="merge-confirm"' not in page
    assert _state(app, rubbish)[0] == "merged"
    told = _pushes(app, "wx-ma")[-1]
    assert "已合并" in told and rubbish in told and rail in told


def test_reassigning_in_progress_is_on_the_timeline_and_the_flash_says_who_was_told(app: Any) -> None:
    factory = app.extensions["linli"].factory
    add_staff(factory, "zhao", "居委会", "赵主任")
    ma = add_staff(factory, "ma", "网格员", "马网格")
    liu = add_staff(factory, "liu", "网格员", "刘网格")
    ticket = _file(app, "wx-r3", "3", "301", "楼道灯坏了", "repair")
    client = _login(app, "zhao")
    page = _post(client, f"/console/requests/{ticket}/assign", assignee=str(ma))
    assert "已通知居民和马网格" in page
    page = _post(client, f"/console/requests/{ticket}/assign", assignee=str(liu))
    flash = re.search(r'<div class="flash ok"[^>]*>([^<]*)</div>', page).group(1)
    assert "转给 刘网格" in flash and "没有再通知居民" in flash and "也告诉了马网格不用再处理" in flash
    assert "已通知居民和" not in flash
    timeline = page[page.index('id="timeline"'):]
    assert timeline.index("转给马网格") < timeline.index("转给刘网格")
    assert _state(app, ticket) == ("in_progress", liu)
    assert "已转给刘网格" in _pushes(app, "wx-ma")[-1]
    assert any("【转办】" in p and ticket in p for p in _pushes(app, "wx-liu"))
    assert len(_pushes(app, "wx-r3")) == 1          # told of 处理中 once, not of the reassignment


def test_a_residents_supplement_reads_as_a_supplement_on_the_timeline(app: Any) -> None:
    import re

    from models.complaint_rules import SYSTEM, add_supplement
    add_staff(app.extensions["linli"].factory, "zhao", "居委会", "赵主任")
    ticket = _file(app, "wx-s1", "3", "301", "楼道灯坏了", "repair")
    with transaction(app.extensions["linli"].factory) as s:
        from models.base import utcnow
        c = s.scalars(select(Complaint).where(Complaint.ticket == ticket)).one()
        add_supplement(s, c, SYSTEM, "晚上黑乎乎的", utcnow())
    page = _login(app, "zhao").get(f"/console/requests/{ticket}").get_data(as_text=True)
    rows = re.findall(r'data-label="操作">([^<]+)</td>', page)
    assert rows == ["已提交", "补充"], rows     # not 已提交 twice
