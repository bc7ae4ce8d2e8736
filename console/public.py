"""Public transparency pages (/public): no login, nothing personal. Readable in WeChat's
built-in browser and shareable as links: each stairwell's 楼道公约 and vote results,
upcoming meetings, request statistics by category and month, satisfaction.

One page per community (/public/<community id>); /public itself is that page when the
database holds one community, and a list of the communities when it holds several."""
from __future__ import annotations

from typing import Any

from flask import abort, render_template, url_for

from console import charts, queries
from console.public_data import (closed_votes, convention_of, current_conventions, upcoming_meetings,
                                 vote_summary)
from console.web import db, linli, now, public_bp
from models.community import UNIT, Community, Place, communities, community_of_key


def vote_chart(vote: Any, summary: dict[str, Any]) -> Any:
    return charts.bar(f"{vote.title}（参与 {summary['took_part']}/{summary['eligible']} 户）",
                      list(summary["options"]), list(summary["options"].values()), unit="户")


def _named(s: Any, community_id: int | None) -> dict[str, Any]:
    """The header of a page of one community: its name and its home page, when there are
    several communities (with one, the pages read as they always did)."""
    if community_id is None or len(communities(s)) < 2:
        return {}
    c = s.get(Community, community_id)
    if c is None:
        return {}
    return {"community_name": c.name, "home": url_for("public.community", community_id=c.id)}


@public_bp.get("/")
def index() -> Any:
    with db() as s:
        known = communities(s)
    if len(known) > 1:
        return render_template("public/communities.html", communities=known)
    return _page(known[0].id if known else None)


@public_bp.get("/<int:community_id>")
def community(community_id: int) -> Any:
    with db() as s:
        if s.get(Community, community_id) is None:
            abort(404)
    return _page(community_id)


def _page(cid: int | None) -> Any:
    t = now()
    tz = linli().settings.community.tz
    with db() as s:
        conventions = current_conventions(s, cid)
        votes = closed_votes(s, limit=10, community_id=cid)
        meetings = upcoming_meetings(s, t, community_id=cid)
        by_month = queries.requests_by_month(s, t, tz, community_id=cid)
        stats = queries.request_stats(s, cid)
        resolve = queries.resolve_days_by_month(s, t, tz, community_id=cid)
        named = _named(s, cid)
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
                           meetings=meetings, stats=stats, figures=figures, now=t, **named)


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
        named = _named(s, place.community_id)
    shown = [(v, vote_summary(v)) for v in votes or []]
    return render_template("public/unit.html", place=place, convention=convention,
                           votes=[(v, sm, vote_chart(v, sm)) for v, sm in shown], **named)


@public_bp.get("/vote/<int:vote_id>")
def vote(vote_id: int) -> Any:
    """One closed vote's result with its figures (never shown before closing)."""
    from models.votes import CLOSED, Vote
    with db() as s:
        v = s.get(Vote, vote_id)
        if v is None or v.state != CLOSED or v.result is None:
            abort(404)
        named = _named(s, community_of_key(s, v.scope_key))
    sm = vote_summary(v)
    return render_template("public/vote.html", vote=v, summary=sm, chart=vote_chart(v, sm), **named)
