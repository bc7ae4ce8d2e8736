"""Bulletins (社区动态) in the console: compose with a preview, publish now, later or on a
schedule (cron), cancel a scheduled one, and delivery statistics by channel and errcode."""
from __future__ import annotations

from collections import Counter
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select, update

from console import charts, scopes
from console.auth import current_staff, requires
from console.tenancy import by_key, community_id, require_key
from console.views_home import ERRCODES
from console.web import bp, db, linli, now, parse_local
from models.bulletins import CANCELLED, PUBLISHED, SCHEDULED, TOPICS, Bulletin
from models.delivery import Delivery
from notices import bulletin_jobs

STATES = {SCHEDULED: "待发布", PUBLISHED: "已发布", CANCELLED: "已取消"}
STATUS = {"pending": "待发送", "sending": "发送中", "sent": "已送达", "failed": "失败",
          "deferred": "进收件箱"}
CHANNELS = {"template": "模板消息", "customer": "客服消息", "inbox": "收件箱", "mass": "群发", None: "未发送"}
FIELDS = {"topic": "类别", "title": "标题", "body": "正文", "cron": "重复规则"}


def _keys(s: Any, b: Bulletin) -> list[str]:
    """A recurring bulletin's deliveries are those of its runs."""
    if not b.cron:
        return [b.notice_key]
    return [f"bulletin:{i}" for i in s.scalars(select(Bulletin.id).where(Bulletin.parent_id == b.id))]


def delivery_stats(s: Any, keys: list[str]) -> dict[str, Any]:
    rows = s.execute(select(Delivery.status, Delivery.channel, Delivery.errcode, func.count())
                     .where(Delivery.notice_key.in_(keys))
                     .group_by(Delivery.status, Delivery.channel, Delivery.errcode)).all() if keys else []
    by_status: Counter[str] = Counter()
    by_channel: Counter[str] = Counter()
    by_errcode: Counter[Any] = Counter()
    for status, channel, errcode, n in rows:
        by_status[status] += n
        if status == "sent":
            by_channel[CHANNELS.get(channel, channel)] += n
        if errcode:
            by_errcode[errcode] += n
    return {"total": sum(by_status.values()), "by_status": by_status, "by_channel": by_channel,
            "by_errcode": by_errcode}


@bp.get("/bulletins")
@requires("console.view")
def bulletins() -> Any:
    with db() as s:
        q = by_key(select(Bulletin).where(Bulletin.parent_id.is_(None)), Bulletin.scope_key, s,
                   current_staff())
        rows = list(s.scalars(q.order_by(Bulletin.id.desc()).limit(100)))
        sent = dict(s.execute(select(Delivery.notice_key, func.count()).where(
            Delivery.notice_key.in_([b.notice_key for b in rows]), Delivery.status == "sent")
            .group_by(Delivery.notice_key)).all()) if rows else {}
    return render_template("console/bulletins.html", rows=rows, sent=sent, states=STATES)


@bp.route("/bulletins/new", methods=["GET", "POST"])
@requires("bulletin.publish")
def bulletin_new() -> Any:
    t = now()
    parts = linli()
    form = request.form if request.method == "POST" else {}
    error, preview, bulletin_id, due_now = "", None, 0, False
    with db() as s:
        cid = community_id(s, current_staff())
        options = scopes.choices(s, cid)
        if request.method == "POST":
            scope = scopes.from_form(s, form.get("scope", ""), cid)
            when = parse_local(form.get("at", "")) if form.get("when") == "later" else None
            cron = (form.get("cron") or "").strip() if form.get("when") == "cron" else None
            if scope is None:
                error = "请选择发布范围。"
            elif form.get("when") == "later" and (when is None or when <= t):
                error = "定时发布的时间要晚于现在。"
            elif form.get("when") == "cron" and not cron:
                error = "请填写重复规则，例如 0 9 * * 1（每周一 9 点）。"
            else:
                try:
                    staff = current_staff()
                    with s.begin_nested() as nested:
                        b = bulletin_jobs.create(
                            s, title=form.get("title", ""), body=form.get("body", ""),
                            topic=form.get("topic", ""), scope=scope, now=t, publish_at=when,
                            cron=cron, urgent=form.get("urgent") == "1", mass=form.get("mass") == "1",
                            created_by=f"staff:{staff.id if staff else ''}", tz=parts.settings.community.tz)
                        if form.get("action") == "preview":
                            preview = {"text": bulletin_jobs.notice_text(b), "scope": b.scope_label,
                                       "next": b.next_run_at}
                            nested.rollback()     # a preview writes nothing
                        else:
                            bulletin_id = b.id
                            due_now = b.next_run_at is not None and b.next_run_at <= t
                except bulletin_jobs.BulletinError as exc:
                    field, _, why = str(exc).partition(": ")
                    error = f"{FIELDS.get(field, field)}：{why or exc}"
    if bulletin_id:
        if due_now:   # published and sent off the request thread (thousands of residents)
            parts.service.pool.submit(bulletin_jobs.publish, parts.jobs, bulletin_id, t)
            flash("通知已发布，正在推送给范围内的居民。", "ok")
        else:
            flash("通知已安排，到时间会自动发布。", "ok")
        return redirect(url_for("console.bulletin_detail", bulletin_id=bulletin_id))
    if error:
        flash(error, "error")
    return render_template("console/bulletin_new.html", scopes=options, form=form, topics=TOPICS,
                           preview=preview), 400 if error else 200


@bp.get("/bulletins/<int:bulletin_id>")
@requires("console.view")
def bulletin_detail(bulletin_id: int) -> Any:
    with db() as s:
        b = s.get(Bulletin, bulletin_id)
        if b is None:
            abort(404)
        require_key(s, current_staff(), b.scope_key)
        stats = delivery_stats(s, _keys(s, b))
        runs = list(s.scalars(select(Bulletin).where(Bulletin.parent_id == b.id)
                              .order_by(Bulletin.id.desc()).limit(20))) if b.cron else []
    chart = None
    if stats["total"]:
        labels = [STATUS.get(k, k) for k in stats["by_status"]]
        chart = charts.bar("推送结果", labels, list(stats["by_status"].values()), unit="人")
    channel_chart = charts.pie("送达渠道", dict(stats["by_channel"])) if stats["by_channel"] else None
    return render_template("console/bulletin.html", b=b, stats=stats, chart=chart,
                           channel_chart=channel_chart, runs=runs, states=STATES, status=STATUS,
                           errcodes=ERRCODES, text=bulletin_jobs.notice_text(b))


@bp.post("/bulletins/<int:bulletin_id>/cancel")
@requires("bulletin.publish")
def bulletin_cancel(bulletin_id: int) -> Any:
    with db() as s:
        b = s.get(Bulletin, bulletin_id)
        if b is not None:
            require_key(s, current_staff(), b.scope_key)
        n = s.execute(update(Bulletin).where(Bulletin.id == bulletin_id, Bulletin.state == SCHEDULED)
                      .values(state=CANCELLED, next_run_at=None)).rowcount
    flash("已取消，不会再发布。" if n else "这条通知已经发布或取消了。", "ok" if n else "error")
    return redirect(url_for("console.bulletin_detail", bulletin_id=bulletin_id))
