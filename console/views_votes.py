"""Votes (楼道议事 / 表决) in the console: the list, creating one, participation by household
as it happens (never a secret ballot's choice, nor its running tally), and results."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from console import charts, scopes
from console.auth import current_staff, requires
from console.public_data import RULES, vote_summary
from console.tenancy import by_key, community_id, require_key
from console.web import bp, db, form_value, linli, now, parse_local, send_soon
from models.community import Household
from models.vote_tally import participation, tally
from models.votes import (CANCELLED, CLOSED, CONVENTION, DRAFT, OPEN, OTHER, PROPOSED, CurrentBallot,
                          Vote, VoteEligible, create_vote, split_options)
from notices.vote_jobs import cancel_vote, confirm_proposal, extend_vote, open_vote

STATES = {PROPOSED: "待确认（楼道长提议）", DRAFT: "未开始", OPEN: "进行中", CLOSED: "已结束",
          CANCELLED: "已取消"}
FIELDS = {"title": "标题", "options": "选项", "closes": "截止时间", "kind": "类型", "custom": "规则"}


@bp.get("/votes")
@requires("console.view")
def votes() -> Any:
    with db() as s:
        q = by_key(select(Vote), Vote.scope_key, s, current_staff())
        rows = list(s.scalars(q.order_by(
            Vote.state.in_((CLOSED, CANCELLED)), Vote.closes_at.desc()).limit(100)))
        turnout = {v.id: participation(s, v.id, v.owners_only) for v in rows if v.state in (OPEN, CLOSED)}
    return render_template("console/votes.html", rows=rows, turnout=turnout, states=STATES)


@bp.route("/votes/new", methods=["GET", "POST"])
@requires("vote.create")
def vote_new() -> Any:
    t = now()
    form = request.form if request.method == "POST" else {}
    error = ""
    ids: list[int] | None = []
    vote_id = 0
    opens_at = t
    with db() as s:
        cid = community_id(s, current_staff())
        options = scopes.choices(s, cid)
        if request.method == "POST":
            scope = scopes.from_form(s, form.get("scope", ""), cid)
            opens_at = parse_local(form.get("opens", "")) or t
            closes_at = parse_local(form.get("closes", ""))
            if scope is None:
                error = "请选择表决范围。"
            elif closes_at is None:
                error = "请填写截止时间。"
            else:
                try:
                    vote = create_vote(
                        s, scope, form.get("title", ""), form.get("text", ""), closes_at=closes_at,
                        now=t, opens_at=opens_at, rule=form.get("rule", "household"),
                        special=form.get("special") == "1", secret=form.get("secret") == "1",
                        kind=CONVENTION if form.get("kind") == CONVENTION else OTHER,
                        options=split_options(form.get("options") or "") or None,
                        created_by=f"staff:{current_staff().id}")  # type: ignore[union-attr]
                except ValueError as exc:   # create_vote checks before it writes anything
                    field, _, why = str(exc).partition(": ")
                    error = f"{FIELDS.get(field, field)}：{why or exc}"
                else:
                    ids = open_vote(s, vote, t, linli().settings.community.tz) if opens_at <= t else []
                    vote_id = vote.id
    if request.method == "POST" and not error:
        send_soon(ids or [])
        started = "并开始，已通知范围内的住户。" if opens_at <= t else "，到开始时间会自动通知住户。"
        flash("表决已创建" + started, "ok")
        return redirect(url_for("console.vote_detail", vote_id=vote_id))
    if error:
        flash(error, "error")
    return render_template("console/vote_new.html", scopes=options, form=form, rules=RULES,
                           default_closes=form_value(t + timedelta(days=7))), 400 if error else 200


@bp.get("/votes/<int:vote_id>")
@requires("console.view")
def vote_detail(vote_id: int) -> Any:
    with db() as s:
        v = s.get(Vote, vote_id)
        if v is None:
            abort(404)
        require_key(s, current_staff(), v.scope_key)
        # Counted as the chat and the result count: under an owners-only rule, owners only
        # (a tenant household does not vote, so it is neither a voter nor a non-voter).
        owners = v.owners_only
        voted, eligible = participation(s, v.id, owners)
        # Who took part, household by household; the choice only for open (non-secret) ballots.
        q = (select(Household.label, CurrentBallot.cast_at, CurrentBallot.choice)
             .select_from(VoteEligible)
             .join(Household, Household.id == VoteEligible.household_id)
             .outerjoin(CurrentBallot, (CurrentBallot.vote_id == VoteEligible.vote_id)
                        & (CurrentBallot.household_id == VoteEligible.household_id))
             .where(VoteEligible.vote_id == v.id))
        if owners:
            q = q.where(VoteEligible.is_owner.is_(True))
        rows = s.execute(q.order_by(Household.label)).all()
        running = None
        if v.state == OPEN and not v.secret:
            t = tally(s, v.id)
            counted = t.owner_options if owners else t.options
            running = {o: counted[o].households if o in counted else 0 for o in v.options}
    households = [(label, at, None if v.secret else choice) for label, at, choice in rows]
    chart = summary = None
    if v.state == CLOSED and v.figures:
        summary = vote_summary(v)
        chart = charts.bar("表决结果（户）", list(summary["options"]), list(summary["options"].values()), unit="户")
    elif running is not None:
        chart = charts.bar("当前计票（户）", list(running), list(running.values()), unit="户")
    turnout = charts.pie("参与情况", {"已投票": voted, "未投票": eligible - voted}) if eligible else None
    return render_template("console/vote.html", v=v, voted=voted, eligible=eligible, owners=owners,
                           households=households, chart=chart, turnout=turnout, summary=summary,
                           states=STATES, rules=RULES)


@bp.post("/votes/<int:vote_id>/<action>")
@requires("vote.create")
def vote_act(vote_id: int, action: str) -> Any:
    t = now()
    ids: list[int] | None = None
    with db() as s:
        v = s.get(Vote, vote_id)
        if v is None:
            abort(404)
        require_key(s, current_staff(), v.scope_key)
        if action == "confirm":
            ids = confirm_proposal(s, v, t, linli().settings.community.tz)
            message = "已确认，表决" + ("已开始。" if v.opens_at <= t else "会按时开始。")
        elif action == "cancel":
            ids = cancel_vote(s, v, t)
            message = "表决已取消。"
        elif action == "extend":
            closes_at = parse_local(request.form.get("closes", ""))
            ids = None if closes_at is None else extend_vote(s, v, closes_at, t, linli().settings.community.tz)
            if ids is None:
                message = "新的截止时间必须晚于现在和开始时间。"
            else:   # an open vote's households are told the new deadline
                message = "截止时间已修改" + ("，已通知可以投票的住户。" if ids else "。")
        else:
            abort(404)
    if ids is None:
        flash(message if action == "extend" else "这个表决现在不能这样操作。", "error")
    else:
        send_soon(ids)
        flash(message, "ok")
    return redirect(url_for("console.vote_detail", vote_id=vote_id))
