"""Meetings in the console: the list, creating one, the roster with check-in, CSV and
iCalendar export, cancelling, and posting the outcome (pushed to the attendees)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from console import scopes
from console.auth import current_staff, requires
from console.tenancy import by_key, community_id, require_key
from console.web import bp, db, form_value, linli, now, parse_local, send_soon
from handlers.meeting_staff import checkin_window_text
from handlers.meeting_texts import render
from models import meeting_export
from models import meeting_signup as ms
from models.community import Household
from models.meetings import TYPES, Meeting, MeetingError, Signup, create_meeting, get_meeting
from models.resident import Resident
from notices import deliver

STATUS = {"confirmed": "报名成功", "waitlisted": "候补", "cancelled": "已取消"}
STATES = {"scheduled": "已安排", "cancelled": "已取消"}
FIELDS = {"title": "会议名称", "type": "会议类型", "at": "会议时间", "place": "地点",
          "capacity": "人数上限", "deadline": "报名截止", "ends": "结束时间"}
CHECKIN = {"ok": "签到成功：{who}。", "again": "{who} 已经签过到了。", "bad_code": "没有这个签到码，请核对。",
           "waitlisted": "{who} 还在候补，没有正式名额，签到未登记。", "cancelled": "会议已取消，无法签到。",
           "not_found": "找不到这个会议。"}


def _push(s: Any, openids: list[str], text: str, key: str) -> list[int]:
    return deliver.enqueue_many(s, openids, text, notice_key=key, kind="meeting", now=now())


def _own(s: Any, meeting_id: int) -> Meeting:
    """The meeting, when it is of the staff member's community; 404 otherwise."""
    m = s.get(Meeting, meeting_id)
    if m is None:
        abort(404)
    require_key(s, current_staff(), m.scope_key)
    return m


@bp.get("/meetings")
@requires("console.view")
def meetings() -> Any:
    t = now()
    with db() as s:
        q = by_key(select(Meeting), Meeting.scope_key, s, current_staff())
        rows = list(s.scalars(q.order_by(Meeting.starts_at < t - timedelta(hours=3),
                                         Meeting.starts_at).limit(100)))
        counts = dict(s.execute(select(Signup.meeting_id, func.count()).where(
            Signup.status == "confirmed").group_by(Signup.meeting_id)).all())
    return render_template("console/meetings.html", rows=rows, counts=counts, states=STATES, now=t)


@bp.route("/meetings/new", methods=["GET", "POST"])
@requires("meeting.create")
def meeting_new() -> Any:
    t = now()
    form = request.form if request.method == "POST" else {}
    error, meeting_id = "", 0
    with db() as s:
        cid = community_id(s, current_staff())
        options = scopes.choices(s, cid)
        if request.method == "POST":
            scope = scopes.from_form(s, form.get("scope", ""), cid)
            starts = parse_local(form.get("starts", ""))
            capacity = form.get("capacity", "").strip()
            if scope is None:
                error = "请选择报名范围。"
            elif starts is None:
                error = "请填写会议时间。"
            elif capacity and not capacity.isdigit():
                error = "人数上限请填数字（不限人数请留空或填 0）。"
            else:
                try:
                    staff = current_staff()
                    m = create_meeting(
                        s, title=form.get("title", ""), meeting_type=form.get("meeting_type", ""),
                        starts_at=starts, place=form.get("place", ""), scope=scope, now=t,
                        agenda=form.get("agenda", ""), capacity=(int(capacity) or None) if capacity else None,
                        deadline=parse_local(form.get("deadline", "")),
                        ends_at=parse_local(form.get("ends", "")),
                        created_by=f"staff:{staff.id if staff else ''}")
                    meeting_id = m.id
                except MeetingError as exc:   # checked before anything is written
                    error = f"{FIELDS.get(exc.field, exc.field)}：{exc}"
    if request.method == "POST" and not error:
        flash("会议已创建。居民回复“会议”即可看到并报名。", "ok")
        return redirect(url_for("console.meeting_detail", meeting_id=meeting_id))
    if error:
        flash(error, "error")
    return render_template("console/meeting_new.html", scopes=options, form=form, types=TYPES,
                           default_starts=form_value((t + timedelta(days=3)).replace(minute=0, second=0, microsecond=0))
                           ), 400 if error else 200


@bp.get("/meetings/<int:meeting_id>")
@requires("console.view")
def meeting_detail(meeting_id: int) -> Any:
    with db() as s:
        m = _own(s, meeting_id)
        rows = s.execute(select(Signup, Resident.name, Household.label)
                         .outerjoin(Resident, Resident.openid == Signup.openid)
                         .outerjoin(Household, Household.id == Signup.household_id)
                         .where(Signup.meeting_id == m.id, Signup.status != "cancelled")
                         .order_by(Signup.status, Signup.position, Signup.id)).all()
        rating = ms.average_rating(s, m.id)
    confirmed = sum(1 for su, _, _ in rows if su.status == "confirmed")
    checked = sum(1 for su, _, _ in rows if su.checked_in_at)
    return render_template("console/meeting.html", m=m, rows=rows, status=STATUS, states=STATES,
                           confirmed=confirmed, checked=checked, rating=rating)


@bp.post("/meetings/<int:meeting_id>/checkin")
@requires("meeting.checkin")
def meeting_checkin(meeting_id: int) -> Any:
    code = (request.form.get("code") or "").strip()
    staff = current_staff()
    with db() as s:
        m = _own(s, meeting_id)
        result, row = ms.check_in(s, meeting_id, code, by=f"staff:{staff.id if staff else ''}", now=now())
        if result in ("too_early", "too_late"):   # the meeting's times say when check-in is open
            flash(checkin_window_text(m, result, linli().settings.community.tz), "error")
            return redirect(url_for("console.meeting_detail", meeting_id=meeting_id))
        who = ""
        if row is not None:
            name = s.scalar(select(Resident.name).where(Resident.openid == row.openid)) or ""
            label = s.scalar(select(Household.label).where(Household.id == row.household_id)) or ""
            who = f"{name}（{label}）" if label else name
    flash(CHECKIN.get(result, result).format(who=who), "ok" if result == "ok" else "error")
    return redirect(url_for("console.meeting_detail", meeting_id=meeting_id))


@bp.get("/meetings/<int:meeting_id>/roster.csv")
@requires("meeting.checkin")
def meeting_csv(meeting_id: int) -> Any:
    with db() as s:
        _own(s, meeting_id)
        text = meeting_export.roster_csv(s, meeting_id, linli().settings.community.tz)
    return Response("\ufeff" + text, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=meeting-{meeting_id}-roster.csv"})


@bp.get("/meetings/<int:meeting_id>/event.ics")
@requires("console.view")
def meeting_ics(meeting_id: int) -> Any:
    from models.meeting_export import ical
    with db() as s:
        m = _own(s, meeting_id)
        data = ical(m, linli().settings)
    return Response(data, mimetype="text/calendar", headers={
        "Content-Disposition": f"attachment; filename=meeting-{meeting_id}.ics"})


@bp.post("/meetings/<int:meeting_id>/outcome")
@requires("meeting.outcome")
def meeting_outcome(meeting_id: int) -> Any:
    text = (request.form.get("outcome") or "").strip()
    if not text:
        flash("请填写会议结果。", "error")
        return redirect(url_for("console.meeting_detail", meeting_id=meeting_id))
    tz = linli().settings.community.tz
    with db() as s:
        _own(s, meeting_id)
        m = get_meeting(s, meeting_id, lock=True)
        if m is None:
            abort(404)
        ids: list[int] = []
        if m.state == "cancelled":
            flash("会议已取消，不能发布结果。", "error")
        elif now() < m.starts_at:
            flash(render("outcome_too_early", m, tz), "error")
        else:
            who = ms.post_outcome(s, m, text, now())
            ids = _push(s, [a.openid for a in who], render("push_outcome", m, tz, outcome=m.outcome),
                        f"meeting:{m.id}:outcome")
            flash(f"会议结果已保存；已通知 {len(ids)} 位参会居民。" if who else "会议结果已更新。", "ok")
    send_soon(ids)
    return redirect(url_for("console.meeting_detail", meeting_id=meeting_id))


@bp.post("/meetings/<int:meeting_id>/cancel")
@requires("meeting.create")
def meeting_cancel(meeting_id: int) -> Any:
    tz = linli().settings.community.tz
    ids: list[int] = []
    with db() as s:
        _own(s, meeting_id)
        m = get_meeting(s, meeting_id, lock=True)
        if m is None:
            abort(404)
        if m.state != "scheduled":
            flash("会议已经取消了。", "error")
        else:
            openids = ms.cancel_meeting(s, m, now())
            ids = _push(s, openids, render("push_cancelled", m, tz), f"meeting:{m.id}:cancelled")
            flash(f"会议已取消，已通知 {len(ids)} 位报名的居民。", "ok")
    send_soon(ids)
    return redirect(url_for("console.meeting_detail", meeting_id=meeting_id))
