"""The staff console in a real browser: login and lockout, roles, CSRF, approving a
binding (the resident's push arrives at the stand-in WeChat API), a resident's <script>
shown as text, the roster import report, and the public page's charts."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.db import transaction
from models.people import BindingRequest
from tests import factories
from tests.console.conftest import DESKTOP, PASSWORD, PHONE, add_staff, login, shot, wait_for_push
from tests.wechat_side import WeChatSide

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_login_shows_the_dashboard_with_its_sections(site: Any, page_for: Any) -> None:
    add_staff(site.factory, "wang", "管理员", "王主任")
    page = page_for(DESKTOP)
    page.goto(f"{site.url}/console/dashboard")
    assert "/console/login" in page.url          # not logged in: sent to the login page
    login(page, site.url, "wang")
    assert page.url.endswith("/console/dashboard")
    assert page.locator("header .who").inner_text() == "王主任（管理员）"
    for section in ("待审核绑定", "推送失败", "超时诉求", "即将截止的表决", "本周会议"):
        assert section in page.inner_text("main")
    shot(page, "dashboard-desktop")
    phone = page_for(PHONE)
    login(phone, site.url, "wang")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "dashboard-phone")
    page.click("nav >> text=工作人员")
    assert "王主任" in page.inner_text("table")
    shot(page, "staff-desktop")
    page.click("header button")                  # 退出
    assert "/console/login" in page.url
    page.goto(f"{site.url}/console/dashboard")
    assert "/console/login" in page.url


def test_five_wrong_passwords_lock_the_account_for_15_minutes(site: Any, page_for: Any) -> None:
    add_staff(site.factory, "li", "网格员")
    page = page_for()
    for i in range(4):
        login(page, site.url, "li", "wrong-password")
        assert f"再错 {4 - i} 次" in page.inner_text("#login-error")
    login(page, site.url, "li", "wrong-password")
    assert "已锁定 15 分钟" in page.inner_text("#login-error")
    login(page, site.url, "li", PASSWORD)        # the right password is refused while locked
    assert "/console/login" in page.url and "已锁定" in page.inner_text("#login-error")
    shot(page, "login-locked")
    site.clock.t += timedelta(minutes=16)
    login(page, site.url, "li", PASSWORD)
    assert page.url.endswith("/console/dashboard")


def test_a_wrong_role_is_refused_and_a_post_without_the_token_is_400(site: Any, page_for: Any) -> None:
    add_staff(site.factory, "grid", "网格员")
    page = page_for(PHONE)
    login(page, site.url, "grid")
    assert "名册导入" not in page.inner_text("nav")   # the menu hides what the role cannot do
    for path in ("/console/roster", "/console/staff"):
        res = page.goto(f"{site.url}{path}")
        assert res is not None and res.status == 403
        assert "没有权限" in page.inner_text("main")
    shot(page, "forbidden-phone")
    # The session cookie is there (same browser context), but no CSRF token: refused.
    res = page.request.post(f"{site.url}/console/bindings/1", form={"decision": "approve"})
    assert res.status == 400 and "安全校验未通过" in res.text()
    res = page.request.post(f"{site.url}/console/bindings/1",
                            form={"decision": "approve", "csrf_token": "forged"})
    assert res.status == 400
    res = page.request.post(f"{site.url}/console/logout")
    assert res.status == 400


def test_approving_a_binding_pushes_to_the_resident_and_their_text_stays_text(
        site: Any, page_for: Any) -> None:
    add_staff(site.factory, "grid", "网格员")
    with transaction(site.factory) as s:
        h = factories.household(s, room="502")
        r = factories.resident(s, "wx-res-1")
        r.household_id, r.status, r.name = h.id, "pending", XSS
        s.add(BindingRequest(openid="wx-res-1", household_id=h.id, name=XSS, phone_last4="5678"))
    WeChatSide(site.app).say("wx-res-1", "你好")   # opens the 48 h customer-service window
    page = page_for(PHONE)
    login(page, site.url, "grid")
    assert "<script>" in page.locator("#sec-bindings").inner_text()
    page.click("nav >> text=绑定审核")
    card = page.locator("[id^=binding-]").first
    assert card.locator(".applicant").inner_text() == XSS   # shown literally, as text
    assert page.dialogs == []                               # and nothing ran
    shot(page, "bindings-phone")
    card.locator("button", has_text="通过").click()
    assert "已通过" in page.inner_text(".flash")
    assert "没有待审核的申请" in page.inner_text("main")
    text = wait_for_push(site.factory, "wx-res-1", "绑定申请已通过")
    assert "3号楼2单元502室" in text
    with site.factory() as s:
        from models.resident import Resident
        res = s.query(Resident).filter_by(openid="wx-res-1").one()
        assert res.status == "verified" and res.household_id == h.id
    assert page.dialogs == []


def test_roster_import_shows_the_report_row_by_row(site: Any, page_for: Any, tmp_path: Any) -> None:
    add_staff(site.factory, "admin", "管理员", "王主任")
    csv = tmp_path / "名册.csv"
    csv.write_text("居民点,楼栋,单元,室号,姓名,手机,面积,身份\n"
                   "黄巷新村,3,2,301,张三,13812345678,90,业主\n"
                   "黄巷新村,3,2,302,李四,138123,85,业主\n"
                   "黄巷新村,3,2,303,王五,13900001111,88,房东\n"
                   "黄巷新村,3,2,304,赵六,13900002222,70,租户\n", encoding="utf-8")
    page = page_for(DESKTOP)
    login(page, site.url, "admin")
    page.click("nav >> text=名册导入")
    page.set_input_files("#file", str(csv))
    page.click("main button[type=submit]")
    report = page.locator("#report")
    assert "整个文件没有导入" in report.inner_text()
    page.set_input_files("#file", str(csv))
    page.check("input[name=partial]")
    page.click("main button[type=submit]")
    text = page.locator("#report").inner_text()
    assert "新增 2" in text and "拒绝 2" in text
    rows = page.locator("#rejected tbody tr").all_inner_texts()
    assert "第 3 行" in rows[0] and "手机号" in rows[0]
    assert "第 4 行" in rows[1] and "身份“房东”" in rows[1]
    shot(page, "roster-import-desktop")
