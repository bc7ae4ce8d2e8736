"""工作台: today's work at a glance (overdue requests, pending bindings, votes closing soon,
meetings this week, failed deliveries) and the request charts."""
from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for

from console import charts, queries
from console.auth import current_staff, requires
from console.tenancy import community_id
from console.web import bp, db, linli, now

ERRCODES = {45015: "超出48小时客服窗口", 45047: "客服消息超出条数", 43004: "用户未关注",
            40003: "openid 无效", 40037: "模板 id 无效", 43101: "用户拒收订阅消息", None: "无错误码"}


@bp.get("/")
def index() -> Any:
    return redirect(url_for("console.dashboard"))


@bp.get("/dashboard")
@requires("console.view")
def dashboard() -> Any:
    staff = current_staff()
    t = now()
    tz = linli().settings.community.tz
    with db() as s:
        cid = community_id(s, staff)   # every figure is of the staff member's own community
        data = {
            "bindings": queries.pending_bindings(s, staff),
            "failed": queries.failed_deliveries(s, t, community_id=cid),
            "overdue": queries.overdue_requests(s, staff, t),
            "open_requests": queries.open_request_count(s, staff),
            "votes": queries.votes_closing_soon(s, t, community_id=cid),
            "proposed": queries.proposed_votes(s, cid),
            "meetings": queries.meetings_this_week(s, t, cid),
            "by_month": queries.requests_by_month(s, t, tz, community_id=cid),
            "by_week": queries.requests_by_week(s, t, tz, community_id=cid),
            "stats": queries.request_stats(s, cid),
        }
    chart_month = chart_category = chart_week = None
    if data["by_week"] is not None:
        chart_week = charts.bar("近八周每周诉求数", data["by_week"]["weeks"], data["by_week"]["counts"],
                                unit="件")
    if data["by_month"] is not None:
        chart_month = charts.stacked("近六个月诉求（按类别）", data["by_month"]["months"],
                                     data["by_month"]["series"])
    if data["stats"] is not None:
        from models.complaints import CATEGORIES
        cats = [(CATEGORIES[k], n) for k, n in data["stats"]["by_category"].items() if n]
        cats.sort(key=lambda kv: -kv[1])
        chart_category = charts.bar("诉求类别", [k for k, _ in cats], [n for _, n in cats],
                                    horizontal=True)
    return render_template("console/dashboard.html", now=t, errcodes=ERRCODES,
                           chart_month=chart_month, chart_category=chart_category,
                           chart_week=chart_week, **data)
