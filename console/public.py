"""Public transparency pages (/public): no login, nothing personal. Readable in WeChat's
built-in browser and shareable as links: each stairwell's 楼道公约 and vote results,
upcoming meetings, request statistics by category and month, satisfaction."""
from __future__ import annotations

from typing import Any

from flask import abort, render_template

from console import charts, queries
from console.public_data import (closed_votes, convention_of, current_conventions, upcoming_meetings,
                                 vote_summary)
from console.web import db, linli, now, public_bp
from models.community import UNIT, Place


def vote_chart(vote: Any, summary: dict[str, Any]) -> Any:
    return charts.bar(f"{vote.title}（参与 {summary['took_part']}/{summary['eligible']} 户）",
                      list(summary["options"]), list(summary["options"].values()), unit="户")


@public_bp.get("/")
def index() -> Any:
    t = now()
    tz = linli().settings.community.tz
    with db() as s:
        conventions = current_conventions(s)
        votes = closed_votes(s, limit=10)
        meetings = upcoming_meetings(s, t)
        by_month = queries.requests_by_month(s, t, tz)
        stats = queries.request_stats(s)
        resolve = queries.resolve_days_by_month(s, t, tz)
    votes_shown = [(v, vote_summary(v)) for v in votes or []]
    figures: dict[str, Any] = {}
    if by_month is not None:
        figures["month"] = charts.stacked("每月诉求数（按类别）", by_month["months"], by_month["series"])
    if stats is not None:
        from models.complaints import CATEGORIES
        cats = sorted(((CATEGORIES[k], n) for k, n in stats["by_category"].items() if n),
                      key=lambda kv: -kv[1])
        figures["category"] = charts.bar("诉求类别", [k for k, _ in cats], [n for _, n in cats],
                                         horizontal=True, unit="件")
        dist = stats["ratings"]["distribution"]
        figures["rating"] = charts.bar("居民评价（1–5 分）", [f"{k}分" for k in dist],
                                       list(dist.values()), unit="人")
    if resolve is not None:
        figures["resolve"] = charts.line("办结用时中位数（天）", resolve["months"],
                                         {"天": resolve["days"]}, unit="天")
    return render_template("public/index.html", conventions=conventions, votes=votes_shown,
                           meetings=meetings, stats=stats, figures=figures, now=t)


@public_bp.get("/unit/<int:unit_id>")
def unit(unit_id: int) -> Any:
    """One stairwell: its current convention and its vote results."""
    with db() as s:
        place = s.get(Place, unit_id)
        if place is None or place.kind != UNIT:
            abort(404)
        key = f"unit:{unit_id}"
        convention = convention_of(s, key)
        votes = closed_votes(s, scope_key=key)
    shown = [(v, vote_summary(v)) for v in votes or []]
    return render_template("public/unit.html", place=place, convention=convention,
                           votes=[(v, sm, vote_chart(v, sm)) for v, sm in shown])


@public_bp.get("/vote/<int:vote_id>")
def vote(vote_id: int) -> Any:
    """One closed vote's result with its figures (never shown before closing)."""
    from models.votes import CLOSED, Vote
    with db() as s:
        v = s.get(Vote, vote_id)
        if v is None or v.state != CLOSED or v.result is None:
            abort(404)
    sm = vote_summary(v)
    return render_template("public/vote.html", vote=v, summary=sm, chart=vote_chart(v, sm))
