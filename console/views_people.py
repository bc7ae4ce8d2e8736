"""People pages: pending bindings to approve, staff accounts, roster import."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console import queries
from console.auth import MIN_PASSWORD, current_staff, hash_password, requires
from console.tenancy import community_id
from console.web import bp, db, linli, now, send_soon
from models.authz import RoleError, check_role, staff_of_community
from models.community import Community
from models.people import ROLES, RosterEntry, Staff

ROSTER_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
SHOW_REJECTED = 500


# Bindings ------------------------------------------------------------------------------------
@bp.get("/bindings")
@requires("binding.review")
def bindings() -> Any:
    staff = current_staff()
    with db() as s:
        rows = queries.pending_bindings(s, staff, limit=None)
        roster: dict[int, list[RosterEntry]] = {}
        ids = {b.household_id for b, _ in rows}
        if ids:
            for e in s.scalars(select(RosterEntry).where(RosterEntry.household_id.in_(ids))
                               .order_by(RosterEntry.id)):
                roster.setdefault(e.household_id, []).append(e)
    return render_template("console/bindings.html", rows=rows, roster=roster)


@bp.post("/bindings/<int:request_id>")
@requires("binding.review")
def binding_decide(request_id: int) -> Any:
    from console.bindings import decide
    approve = request.form.get("decision") == "approve"
    reason = (request.form.get("reason") or "").strip()[:200]
    staff = current_staff()
    assert staff is not None
    with db() as s:
        result = decide(s, request_id, staff, approve, reason, now())
    send_soon(result.pushed)
    flash(result.message, "ok" if result.ok else "error")
    return redirect(url_for("console.bindings"))


# Staff accounts -------------------------------------------------------------------------------
@bp.get("/staff")
@requires("staff.manage")
def staff_list() -> Any:
    with db() as s:
        q = select(Staff)
        cid = community_id(s, current_staff())
        if cid is not None:   # the staff of their own community only
            q = q.where(staff_of_community(s, cid))
        people = list(s.scalars(q.order_by(Staff.active.desc(), Staff.id)))
    return render_template("console/staff.html", people=people, roles=ROLES, now=now(),
                           min_password=MIN_PASSWORD)


@bp.post("/staff")
@requires("staff.manage")
def staff_create() -> Any:
    f = request.form
    name, username = (f.get("name") or "").strip(), (f.get("username") or "").strip()
    password = f.get("password") or ""
    try:
        role = check_role(f.get("role") or "")
    except RoleError:
        flash("请选择岗位。", "error")
        return redirect(url_for("console.staff_list"))
    if not name or not username:
        flash("请填写姓名和用户名。", "error")
    elif len(password) < MIN_PASSWORD:
        flash(f"密码至少 {MIN_PASSWORD} 位。", "error")
    else:
        try:
            with db() as s:   # a colleague of the same community
                s.add(Staff(name=name[:64], username=username[:64], role=role,
                            scope_kind="community", scope_id=community_id(s, current_staff()),
                            password_hash=hash_password(password), created_at=now()))
            flash(f"已添加工作人员 {name}（{username}）。", "ok")
        except IntegrityError:
            flash(f"用户名 {username} 已被使用，请换一个。", "error")
    return redirect(url_for("console.staff_list"))


@bp.post("/staff/<int:staff_id>/<action>")
@requires("staff.manage")
def staff_change(staff_id: int, action: str) -> Any:
    try:
        _staff_change(staff_id, action)
    except IntegrityError:
        flash("这个用户名已被使用，请换一个。", "error")
    return redirect(url_for("console.staff_list"))


def _staff_change(staff_id: int, action: str) -> None:
    me = current_staff()
    with db() as s:
        st = s.get(Staff, staff_id)
        cid = community_id(s, me)
        if st is not None and cid is not None and s.scalar(select(Staff.id).where(
                Staff.id == st.id, staff_of_community(s, cid))) is None:
            st = None   # another community's staff: as if absent
        if st is None:
            flash("找不到这位工作人员。", "error")
        elif action == "password":
            password = request.form.get("password") or ""
            if len(password) < MIN_PASSWORD:
                flash(f"密码至少 {MIN_PASSWORD} 位。", "error")
            elif st.username is None and not (request.form.get("username") or "").strip():
                flash(f"{st.name} 还没有用户名，请同时填写用户名。", "error")
            else:
                if st.username is None:   # a WeChat-only staff member gets a console login
                    st.username = (request.form.get("username") or "").strip()[:64]
                st.password_hash = hash_password(password)
                st.failed_logins, st.locked_until = 0, None
                flash(f"已设置 {st.name} 的密码（用户名 {st.username}）。", "ok")
        elif action == "unlock":
            st.failed_logins, st.locked_until = 0, None
            flash(f"已解锁 {st.name} 的账号。", "ok")
        elif action == "active":
            if me is not None and st.id == me.id:
                flash("不能停用自己的账号。", "error")
            else:
                st.active = not st.active
                flash(f"已{'启用' if st.active else '停用'} {st.name} 的账号。", "ok")
        else:
            flash("不认识的操作。", "error")


# Roster import ----------------------------------------------------------------------------------
@bp.route("/roster", methods=["GET", "POST"])
@requires("roster.import")
def roster() -> Any:
    if request.method == "GET":
        return render_template("console/roster.html", report=None)
    upload = request.files.get("file")
    partial = request.form.get("partial") == "1"
    if upload is None or not upload.filename:
        flash("请选择名册文件（CSV 或 XLSX）。", "error")
        return render_template("console/roster.html", report=None), 400
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in ROSTER_SUFFIXES:
        flash(f"不支持的文件类型 {suffix or '(无扩展名)'}，请上传 .csv 或 .xlsx。", "error")
        return render_template("console/roster.html", report=None), 400
    report, error = _import(upload, suffix, partial)
    if error:
        flash(error, "error")
        return render_template("console/roster.html", report=None), 400
    return render_template("console/roster.html", report=report, partial=partial,
                           filename=upload.filename, show=SHOW_REJECTED)


def _import(upload: Any, suffix: str, partial: bool) -> tuple[Any, str]:
    from models.roster import import_roster
    from models.roster_io import RosterFileError, read_roster

    parts = linli()
    with tempfile.TemporaryDirectory(prefix="linli-roster-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        upload.save(path)
        try:
            rows = read_roster(path)
        except RosterFileError as exc:
            return None, str(exc).replace(path.name, "上传的文件")
    try:
        with db() as s:   # into the importing staff member's own community only
            cid = community_id(s, current_staff())
            own = s.get(Community, cid) if cid is not None else None
            name = own.name if own is not None else parts.settings.community.name
            report = import_roster(s, rows, now(), parts.settings.server.secret_key,
                                   community_name=name, only_community=name, partial=partial)
    except IntegrityError:
        return None, "写入时与已有数据冲突（可能另一个导入同时在进行），没有导入任何数据，请稍后重试。"
    return report, ""
