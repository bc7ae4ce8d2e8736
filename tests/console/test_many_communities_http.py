"""Two communities, one console (Flask's test client): a staff member's pages, actions,
charts, exports and colleagues are those of their own community; another community's
requests, votes, meetings, bulletins, bindings and staff answer 404 (or "not found").
The public pages are one per community."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models.complaints import Complaint
from models.meetings import Meeting
from models.people import BindingRequest, Staff
from models.votes import Vote
from tests.community.two import A, B, PASSWORD, Two, build


@pytest.fixture
def two(make_app: Any, tmp_path: Path) -> Two:
    return build(make_app, tmp_path)


def _token(client: Any, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def console(two: Two, username: str) -> Any:
    client = two.app.test_client()
    res = client.post("/console/login", data={"username": username, "password": PASSWORD,
                                               "csrf_token": _token(client, "/console/login")})
    assert res.status_code == 302, res.get_data(as_text=True)[:300]
    return client


def post(client: Any, path: str, **form: str) -> Any:
    return client.post(path, data={"csrf_token": _token(client, "/console/dashboard"), **form})


def _text(res: Any) -> str:
    return res.get_data(as_text=True)


def test_requests_of_another_community_do_not_exist_in_the_console(two: Two) -> None:
    mine, theirs = two.file("o-a1", "楼道灯坏了"), two.file("o-b1", "垃圾没人清")
    jia = console(two, "jia")
    listing = _text(jia.get("/console/requests"))
    assert mine in listing and theirs not in listing and "东湖花园" not in listing
    assert jia.get(f"/console/requests/{theirs}").status_code == 404
    assert post(jia, f"/console/requests/{theirs}/accept").status_code == 404
    res = post(jia, f"/console/requests/{mine}/merge", target=theirs)
    assert f"找不到编号为 {theirs} 的诉求" in _text(jia.get(res.location))
    with two.factory() as s:
        b_staff = s.scalars(select(Staff.id).where(Staff.name == "乙社工")).one()
    res = post(jia, f"/console/requests/{mine}/assign", assignee=str(b_staff))
    assert "请选择转给谁" in _text(jia.get(res.location))
    detail = _text(jia.get(f"/console/requests/{mine}"))
    assert "甲主任" in detail and "乙社工" not in detail
    with two.factory() as s:
        states = dict(s.execute(select(Complaint.ticket, Complaint.state)).all())
    assert states == {mine: "submitted", theirs: "submitted"}
    home = _text(jia.get("/console/dashboard"))
    assert f"{A} · 邻里工作台" in home and theirs not in home
    assert f"{B} · 邻里工作台" in _text(console(two, "yi").get("/console/dashboard"))


def test_votes_meetings_and_bulletins_of_another_community_answer_404(two: Two) -> None:
    for community, title in ((A, "西"), (B, "东")):
        assert two.cli("vote", "create", "--scope", "全社区", "--title", f"{title}边公约",
                       "--closes", "2026-12-10 18:00", "--now", "2026-11-27 10:00",
                       "--community", community).exit_code == 0
        assert two.cli("meeting", "create", "--title", f"{title}边恳谈会", "--type", "恳谈会",
                       "--at", "2026-12-20 19:00", "--place", "活动室", "--community", community).exit_code == 0
        assert two.cli("bulletin", "publish", "--topic", "活动", "--title", f"{title}边义诊",
                       "--body", "周六义诊", "--now", "2026-11-27 10:00",
                       "--community", community).exit_code == 0
    with two.factory() as s:
        vote = s.scalars(select(Vote).where(Vote.title == "东边公约")).one()
        meetings = {m.title: m.id for m in s.scalars(select(Meeting))}
    from models.bulletins import Bulletin
    with two.factory() as s:
        bulletin = s.scalars(select(Bulletin.id).where(Bulletin.title == "东边义诊")).one()
    east = meetings["东边恳谈会"]
    assert "报名成功" in two.say("o-a1", f"报名 {meetings['西边恳谈会']}")
    jia = console(two, "jiazhuren")
    for page, own, other in (("/console/votes", "西边公约", "东边公约"),
                             ("/console/meetings", "西边恳谈会", "东边恳谈会"),
                             ("/console/bulletins", "西边义诊", "东边义诊")):
        text = _text(jia.get(page))
        assert own in text and other not in text, page
    for path in (f"/console/votes/{vote.id}", f"/console/meetings/{east}",
                 f"/console/meetings/{east}/roster.csv", f"/console/meetings/{east}/event.ics",
                 f"/console/bulletins/{bulletin}"):
        assert jia.get(path).status_code == 404, path
    for path in (f"/console/votes/{vote.id}/cancel", f"/console/meetings/{east}/cancel",
                 f"/console/meetings/{east}/checkin", f"/console/bulletins/{bulletin}/cancel"):
        assert post(jia, path).status_code == 404, path
    with two.factory() as s:
        assert s.get(Vote, vote.id).state == "open" and s.get(Meeting, east).state == "scheduled"
    csv = _text(jia.get(f"/console/meetings/{meetings['西边恳谈会']}/roster.csv"))
    assert "黄巷新村3号楼2单元301室" in csv and "东湖花园" not in csv
    form = _text(jia.get("/console/votes/new"))
    assert f"全社区（{A}）" in form and "东湖花园" not in form and B not in form
    west = two.community_id(A)
    res = post(jia, "/console/votes/new", scope=f"community:{two.community_id(B)}", title="越界",
               text="x", closes="2026-12-10T18:00")
    assert res.status_code == 400 and "请选择表决范围" in _text(res)
    assert f"community:{west}" in form


def test_staff_bindings_and_roster_are_per_community(two: Two) -> None:
    two.talk("o-b-new").run([("绑定 东湖花园3号楼2单元301 陈东 0000", "待审核")])
    with two.factory() as s:
        pending = s.scalars(select(BindingRequest.id)).one()
        b_staff = s.scalars(select(Staff.id).where(Staff.name == "乙社工")).one()
    boss = console(two, "jiazhuren")
    assert "陈东" not in _text(boss.get("/console/bindings"))
    res = post(boss, f"/console/bindings/{pending}", decision="approve")
    assert "找不到这条绑定申请" in _text(boss.get(res.location))
    people = _text(boss.get("/console/staff"))
    assert "甲社工" in people and "乙社工" not in people
    res = post(boss, f"/console/staff/{b_staff}/active")
    assert "找不到这位工作人员" in _text(boss.get(res.location))
    post(boss, "/console/staff", name="丙网格", username="bing", password="another-pass-9", role="网格员")
    west = two.community_id(A)
    with two.factory() as s:
        assert s.get(BindingRequest, pending).status == "pending"
        assert s.get(Staff, b_staff).active is True
        new = s.scalars(select(Staff).where(Staff.username == "bing")).one()
        assert (new.scope_kind, new.scope_id) == ("community", west)
    east = console(two, "yizhuren")
    assert "陈东" in _text(east.get("/console/bindings"))
    upload = two.tmp / "mixed.csv"
    upload.write_text("社区,居民点,楼栋,单元,室号,姓名,手机,面积,身份\n"
                      "东湖社区,东湖花园,9,1,101,钱九,13899990000,60,业主\n"
                      "黄巷社区,黄巷新村,9,1,101,孙九,13899991111,60,业主\n", encoding="utf-8")
    with upload.open("rb") as f:
        res = east.post("/console/roster", data={"csrf_token": _token(east, "/console/roster"),
                                                 "partial": "1", "file": (f, "mixed.csv")},
                        content_type="multipart/form-data")
    page = _text(res)
    assert res.status_code == 200 and f"社区“{A}”不是您所在的社区" in page, page[:2000]
    with two.factory() as s:
        from models.community import Household
        labels = set(s.scalars(select(Household.label).where(Household.label.like("%9号楼%"))))
    assert labels == {"东湖花园9号楼1单元101室"}


def test_public_pages_one_per_community(two: Two) -> None:
    two.file("o-a1", "楼道灯坏了")
    two.file("o-a2", "电梯坏了")
    two.file("o-b1", "垃圾没人清")
    web = two.app.test_client()
    index = _text(web.get("/public/"))
    west, east = two.community_id(A), two.community_id(B)
    assert f'href="/public/{west}"' in index and f'href="/public/{east}"' in index
    totals = {}
    for name, cid in ((A, west), (B, east)):
        page = _text(web.get(f"/public/{cid}"))
        assert f"{name}公开信息" in page
        totals[name] = int(re.search(r'诉求总数</div><div class="num">(\d+)<', page).group(1))
    assert totals == {A: 2, B: 1}
    assert web.get("/public/999").status_code == 404
