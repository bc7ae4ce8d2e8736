"""The console over plain HTTP (Flask's test client, no browser): cookie flags, security
headers, CSRF on the login form, safe redirects, staff accounts, escaped chart labels."""
from __future__ import annotations

import re
from typing import Any

from console import charts
from models.db import transaction
from models.people import Staff
from tests.console.conftest import PASSWORD, add_staff


def _token(client: Any, path: str = "/console/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(client: Any, username: str, password: str = PASSWORD, **extra: str) -> Any:
    return client.post("/console/login", data={"username": username, "password": password,
                                                "csrf_token": _token(client), **extra})


def test_session_cookie_flags_and_security_headers(make_app: Any) -> None:
    app = make_app(server={"base_url": "https://linli.example.org"})
    add_staff(app.extensions["linli"].factory, "wang", "管理员")
    client = app.test_client()
    res = _login(client, "wang")
    assert res.status_code == 302
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    for path in ("/console/login", "/public/"):
        headers = client.get(path).headers
        assert "script-src 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"


def test_plain_http_base_url_leaves_secure_off(app: Any) -> None:
    add_staff(app.extensions["linli"].factory, "wang", "管理员")
    cookie = _login(app.test_client(), "wang").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" not in cookie


def test_login_needs_the_csrf_token_and_never_redirects_off_site(app: Any) -> None:
    add_staff(app.extensions["linli"].factory, "wang", "管理员")
    client = app.test_client()
    res = client.post("/console/login", data={"username": "wang", "password": PASSWORD})
    assert res.status_code == 400 and "安全校验未通过" in res.get_data(as_text=True)
    res = _login(client, "wang", next="https://evil.example.com/console/x")
    assert res.status_code == 302 and res.location.endswith("/console/dashboard")
    client = app.test_client()
    res = _login(client, "wang", next="/console/staff")
    assert res.location.endswith("/console/staff")


def test_admin_adds_staff_resets_a_password_and_deactivates(app: Any) -> None:
    factory = app.extensions["linli"].factory
    add_staff(factory, "admin", "管理员", "王主任")
    admin, other = app.test_client(), app.test_client()
    _login(admin, "admin")
    token = _token(admin, "/console/staff")
    res = admin.post("/console/staff", data={"name": "新社工", "username": "xin", "role": "社工",
                                             "password": "short", "csrf_token": token})
    assert "密码至少 8 位" in admin.get(res.location).get_data(as_text=True)
    admin.post("/console/staff", data={"name": "新社工", "username": "xin", "role": "社工",
                                       "password": "first-password", "csrf_token": token})
    assert _login(other, "xin", "first-password").status_code == 302
    assert other.get("/console/dashboard").status_code == 200
    with factory() as s:
        xin = s.query(Staff).filter_by(username="xin").one()
    admin.post(f"/console/staff/{xin.id}/password", data={"password": "second-password",
                                                          "csrf_token": token})
    assert other.get("/console/dashboard").status_code == 302      # old session ended
    assert _login(other, "xin", "second-password").status_code == 302
    admin.post(f"/console/staff/{xin.id}/active", data={"csrf_token": token})
    assert other.get("/console/dashboard").status_code == 302      # deactivated
    assert _login(other, "xin", "second-password").status_code == 401


def test_a_social_worker_cannot_manage_staff_or_import_a_roster(app: Any) -> None:
    add_staff(app.extensions["linli"].factory, "chen", "社工")
    client = app.test_client()
    _login(client, "chen")
    token = _token(client, "/console/dashboard")
    assert client.get("/console/staff").status_code == 403
    res = client.post("/console/staff", data={"name": "x", "username": "x", "role": "管理员",
                                              "password": "12345678", "csrf_token": token})
    assert res.status_code == 403
    with app.extensions["linli"].factory() as s:
        assert s.query(Staff).count() == 1


def test_roster_upload_of_a_wrong_file_type_is_refused_in_chinese(app: Any) -> None:
    import io
    add_staff(app.extensions["linli"].factory, "admin", "管理员")
    client = app.test_client()
    _login(client, "admin")
    res = client.post("/console/roster", data={"csrf_token": _token(client, "/console/roster"),
                                               "file": (io.BytesIO(b"x"), "roster.pdf")},
                      content_type="multipart/form-data")
    assert res.status_code == 400 and "不支持的文件类型 .pdf" in res.get_data(as_text=True)


def test_chart_labels_and_titles_are_escaped_and_no_script_is_left() -> None:
    svg = str(charts.bar('标题<script>alert(1)</script>', ["<img src=x onerror=alert(1)>", "维修"], [2, 3]))
    assert "<script" not in svg and "<img" not in svg
    assert "&lt;img src=x onerror=alert(1)&gt;" in svg and "&lt;script&gt;" in svg
    assert "暂无数据" in str(charts.bar("空", ["a"], [0]))


def test_lockout_counts_every_wrong_password(app: Any) -> None:
    factory = app.extensions["linli"].factory
    add_staff(factory, "li", "网格员")
    client = app.test_client()
    for _ in range(5):
        assert _login(client, "li", "wrong").status_code == 401
    with transaction(factory) as s:
        st = s.query(Staff).filter_by(username="li").one()
        assert st.locked_until is not None and st.failed_logins == 0
    assert "已锁定" in _login(client, "li").get_data(as_text=True)


def test_a_hot_issue_becomes_an_invitation_meeting_in_one_action(app: Any) -> None:
    from zoneinfo import ZoneInfo

    from models.complaint_rules import file_complaint
    from models.complaints import HotCluster
    from models.meetings import Invitation, Meeting
    from tests import factories

    factory = app.extensions["linli"].factory
    add_staff(factory, "juwei", "居委会")
    with transaction(factory) as s:
        homes = factories.stairwell(s, ["301", "302"])
        cluster = HotCluster(community_id=homes[0].community_id, category="noise",
                             place_id=homes[0].building_id, households=2)
        s.add(cluster)
        s.flush()
        for i, h in enumerate(homes):
            factories.resident(s, f"wx-h{i}", h)
            c = file_complaint(s, h, f"wx-h{i}", "晚上广场舞太吵", "noise",
                               app.extensions["linli"].service.clock(), ZoneInfo("Asia/Shanghai"))
            c.cluster_id = cluster.id
        cluster_id = cluster.id
    client = app.test_client()
    _login(client, "juwei")
    page = client.get("/console/clusters").get_data(as_text=True)
    assert "噪音扰民" in page and "转为会议并邀请" in page
    res = client.post(f"/console/clusters/{cluster_id}/meeting",
                      data={"csrf_token": _token(client, "/console/clusters"), "meeting_type": "恳谈会",
                            "at": "2031-06-01T19:30", "place": "社区活动室"})
    assert res.status_code == 302 and "/console/meetings/" in res.location
    with factory() as s:
        m = s.query(Meeting).one()
        assert s.query(Invitation).filter_by(meeting_id=m.id).count() == 2
        assert s.get(HotCluster, cluster_id).meeting_id == m.id


def test_vote_form_errors_name_the_field_and_a_grid_worker_cannot_create(app: Any) -> None:
    from models.votes import Vote
    from tests import factories

    factory = app.extensions["linli"].factory
    add_staff(factory, "chen", "社工")
    add_staff(factory, "grid", "网格员")
    with transaction(factory) as s:
        unit_id = factories.stairwell(s, ["301"])[0].unit_id
    client = app.test_client()
    _login(client, "chen")
    res = client.post("/console/votes/new", data={
        "csrf_token": _token(client, "/console/votes/new"), "scope": f"unit:{unit_id}",
        "title": "换门禁", "closes": "2020-01-01T10:00"})
    assert res.status_code == 400 and "截止时间：截止时间必须晚于开始时间和现在" in res.get_data(as_text=True)
    grid = app.test_client()
    _login(grid, "grid")
    assert grid.get("/console/votes").status_code == 200
    assert grid.get("/console/votes/new").status_code == 403
    with factory() as s:
        assert s.query(Vote).count() == 0
