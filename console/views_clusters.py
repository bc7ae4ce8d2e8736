"""Hot issues (一事一议一决) in the console: clusters of one category in one building that
the requests family flagged, and the one action that turns a cluster into an invitation
meeting for the households that reported it (through the family's `cluster_meeting`)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from console.auth import current_staff, requires
from console.tenancy import community_id, require_community
from console.web import bp, db, form_value, now, parse_local, send_soon
from models.community import Place
from models.complaint_rules import cluster_meeting
from models.complaints import CATEGORIES, Complaint, HotCluster
from models.meetings import TYPES, MeetingError


@bp.get("/clusters")
@requires("complaint.todo")
def clusters() -> Any:
    with db() as s:
        q = select(HotCluster)
        cid = community_id(s, current_staff())
        if cid is not None:   # the hot issues of their own community
            q = q.where(HotCluster.community_id == cid)
        rows = list(s.scalars(q.order_by(HotCluster.meeting_id.is_not(None),
                                         HotCluster.created_at.desc()).limit(50)))
        places = {p.id: p.label for p in s.scalars(select(Place).where(
            Place.id.in_([c.place_id for c in rows])))} if rows else {}
        tickets: dict[int, list[str]] = {}
        for cid, ticket in s.execute(select(Complaint.cluster_id, Complaint.ticket).where(
                Complaint.cluster_id.in_([c.id for c in rows])).order_by(Complaint.id)) if rows else []:
            tickets.setdefault(cid, []).append(ticket)
    return render_template("console/clusters.html", rows=rows, places=places, tickets=tickets,
                           categories=CATEGORIES, types=TYPES,
                           default_at=form_value((now() + timedelta(days=3)).replace(minute=0, second=0)))


@bp.post("/clusters/<int:cluster_id>/meeting")
@requires("meeting.create")
def cluster_to_meeting(cluster_id: int) -> Any:
    starts = parse_local(request.form.get("at", ""))
    place = (request.form.get("place") or "").strip()
    kind = request.form.get("meeting_type") or "恳谈会"
    if starts is None or not place:
        flash("请填写会议时间和地点。", "error")
        return redirect(url_for("console.clusters"))
    staff = current_staff()
    try:
        with db() as s:
            found = s.get(HotCluster, cluster_id)
            require_community(s, staff, found.community_id if found else None)
            m: Any = cluster_meeting(s, cluster_id, starts_at=starts, place=place, now=now(),
                                     meeting_type=kind if kind in TYPES else "恳谈会",
                                     created_by=f"staff:{staff.id if staff else ''}")
            ids, meeting_id = list(getattr(m, "queued_ids", []) or []), m.id
            invited = s.scalar(select(func.count()).select_from(Complaint)
                               .where(Complaint.cluster_id == cluster_id))
    except (MeetingError, ValueError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("console.clusters"))
    send_soon(ids)
    flash(f"已创建会议并邀请反映问题的 {invited} 户居民。", "ok")
    return redirect(url_for("console.meeting_detail", meeting_id=meeting_id))
