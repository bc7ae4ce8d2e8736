"""flask vote create|open|extend|cancel|show|list — staff tools for stairwell votes.

`vote show` prints figures per option and who took part (for reminders), never how any
one household voted: a secret vote's tally stays hidden until it closes.
"""
from __future__ import annotations

import json
from datetime import datetime

import click
from flask import Flask
from sqlalchemy import select

from cli.common import community_option, linli, parse_local, resolve_community, resolve_scope
from handlers.vote_texts import OUTCOME, figures_text, local_text
from models.community import Household, scope_key_in
from models.db import transaction
from models.vote_rules import RULES
from models.vote_tally import not_voted, participation, tally
from models.votes import (CANCELLED, CLOSED, CONVENTION, DRAFT, OPEN, OTHER, PROPOSED, Vote,
                          closed_by_clock, create_vote, kind_for_title, split_options, voter_ids)
from notices.vote_jobs import cancel_vote, confirm_proposal, extend_refusal, extend_vote, open_vote

STATE_CN = {PROPOSED: "待确认", DRAFT: "未开始", OPEN: "进行中", CLOSED: "已结束", CANCELLED: "已取消"}
RULE_CN = {"household": "按户过半", "civil_code": "民法典（业主）", "custom": "自定义"}


def _send(ids: list[int] | None, now: datetime) -> None:
    if ids:
        linli().sender.send_ids(ids, now)


def _vote(s, vote_id: int) -> Vote:  # type: ignore[no-untyped-def]
    vote = s.get(Vote, vote_id)
    if vote is None:
        raise click.BadParameter(f"没有编号为 {vote_id} 的表决", param_hint="ID")
    return vote


def register(app: Flask) -> None:
    @app.cli.group("vote")
    def vote_group() -> None:
        """Stairwell votes (楼道议事 / 表决)."""

    @vote_group.command("create")
    @click.option("--scope", required=True, help="e.g. 3号楼2单元")
    @click.option("--title", required=True)
    @click.option("--text", "body", default="", help="the proposal (e.g. the convention text)")
    @click.option("--closes", required=True, help='"YYYY-MM-DD HH:MM" (community time)')
    @click.option("--opens", default=None, help='"YYYY-MM-DD HH:MM"; default now')
    @click.option("--rule", type=click.Choice(RULES), default="household")
    @click.option("--special", is_flag=True, help="civil_code special matter (3/4)")
    @click.option("--secret", is_flag=True, help="secret ballot")
    @click.option("--kind", type=click.Choice([CONVENTION, OTHER]), default=None,
                  help="default: convention when the title names a 公约 (as in the chat), else other")
    @click.option("--options", default="同意,反对,弃权",
                  help="separated by commas or 、; the first counts as 同意")
    @click.option("--custom", default=None,
                  help='JSON thresholds for --rule custom, e.g. '
                       '\'{"quorum":{"households":["1/2","strict"]},"approve":{"households":["2/3","inclusive"]}}\'')
    @click.option("--now", "now_text", default=None, hidden=True,
                  help='the clock "YYYY-MM-DD HH:MM" (tests and backfills); default now')
    @community_option
    def create_cmd(scope: str, title: str, body: str, closes: str, opens: str | None, rule: str,
                   special: bool, secret: bool, kind: str | None, options: str, custom: str | None,
                   now_text: str | None, community_name: str | None) -> None:
        """Create a vote and print its id; it opens now unless --opens is later."""
        now = parse_local(now_text, "--now")
        closes_at = parse_local(closes, "--closes")
        opens_at = parse_local(opens, "--opens") if opens else now
        try:
            custom_data = json.loads(custom) if custom else None
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--custom") from None
        with transaction(linli().factory) as s:
            found = resolve_scope(s, scope, community=community_name)
            try:
                vote = create_vote(s, found, title, body, closes_at=closes_at, now=now,
                                   opens_at=opens_at, rule=rule, special=special, secret=secret,
                                   kind=kind or kind_for_title(title), options=split_options(options),
                                   custom=custom_data,
                                   created_by="cli")
            except ValueError as exc:
                field, _, why = str(exc).partition(": ")
                raise click.BadParameter(why or str(exc), param_hint=f"--{field}") from None
            ids = open_vote(s, vote, now, linli().settings.community.tz) if opens_at <= now else []
            vote_id = vote.id
        _send(ids, now)
        click.echo(vote_id)

    @vote_group.command("open")
    @click.argument("vote_id", metavar="ID", type=int)
    @click.option("--now", "now_text", default=None, hidden=True, help="the clock (tests)")
    def open_cmd(vote_id: int, now_text: str | None) -> None:
        """Confirm a stairwell head's proposal (it opens now or at its opening time)."""
        now, tz = parse_local(now_text, "--now"), linli().settings.community.tz
        with transaction(linli().factory) as s:
            vote = _vote(s, vote_id)
            if vote.state != PROPOSED:
                raise click.ClickException(
                    f"表决 {vote_id} 是“{STATE_CN.get(vote.state, vote.state)}”，不是待确认的提议")
            if closed_by_clock(vote, now):
                raise click.ClickException(
                    f"表决 {vote_id} 的截止时间 {local_text(vote.closes_at, tz)} 已过：请先用 "
                    f"`flask vote extend {vote_id} --closes \"YYYY-MM-DD HH:MM\"` 设新的截止时间，再确认")
            ids = confirm_proposal(s, vote, now, tz)
        _send(ids, now)
        click.echo(f"表决 {vote_id}：已确认")

    @vote_group.command("extend")
    @click.argument("vote_id", metavar="ID", type=int)
    @click.option("--closes", required=True, help='new closing time "YYYY-MM-DD HH:MM"')
    @click.option("--now", "now_text", default=None, hidden=True, help="the clock (tests)")
    def extend_cmd(vote_id: int, closes: str, now_text: str | None) -> None:
        """Move the closing time of a vote that has not closed (also a proposal left too long);
        an open vote's households are told the new deadline."""
        now, closes_at = parse_local(now_text, "--now"), parse_local(closes, "--closes")
        with transaction(linli().factory) as s:
            vote = _vote(s, vote_id)
            why = extend_refusal(vote, closes_at, now)
            if why == "extend_not_open":
                raise click.ClickException(
                    f"表决 {vote_id} {STATE_CN.get(vote.state, vote.state)}，不能延长")
            if why is not None:
                raise click.BadParameter("必须晚于现在和表决开始时间", param_hint="--closes")
            ids = extend_vote(s, vote, closes_at, now, linli().settings.community.tz)
        _send(ids, now)
        click.echo(f"表决 {vote_id}：截止时间改为 {closes}" + (f"；已通知 {len(ids)} 人" if ids else ""))

    @vote_group.command("cancel")
    @click.argument("vote_id", metavar="ID", type=int)
    def cancel_cmd(vote_id: int) -> None:
        """Cancel a vote that has not closed (households that could vote are told)."""
        now = parse_local(None)
        with transaction(linli().factory) as s:
            ids = cancel_vote(s, _vote(s, vote_id), now)
            if ids is None:
                raise click.ClickException(f"表决 {vote_id} 已经结束或已取消")
        _send(ids, now)
        click.echo(f"表决 {vote_id}：已取消" + (f"；已通知 {len(ids)} 人" if ids else ""))

    @vote_group.command("show")
    @click.argument("vote_id", metavar="ID", type=int)
    @click.option("--who", is_flag=True, help="list households that have not voted (for reminders)")
    def show_cmd(vote_id: int, who: bool) -> None:
        """Show a vote, its participation, and (unless secret and open) the tally."""
        tz = linli().settings.community.tz
        with linli().factory() as s:
            v = _vote(s, vote_id)
            click.echo(f"第{v.id}号 {v.title} ［{STATE_CN.get(v.state, v.state)}］ {v.scope_label}")
            click.echo(f"规则 {RULE_CN.get(v.rule, v.rule)}{'（特别事项）' if v.special_matter else ''}"
                       f"{'，不记名' if v.secret else ''}，{'公约' if v.kind == CONVENTION else '一般事项'}，"
                       f"开始 {local_text(v.opens_at, tz)}，截止 {local_text(v.closes_at, tz)}")
            owners = v.owners_only
            voted, eligible = participation(s, v.id, owners)
            click.echo(f"已投 {voted}/{eligible} 户" + ("（只计业主）" if owners else ""))
            if v.state == CLOSED and v.figures:
                click.echo(f"结果：{OUTCOME.get(v.result or '', v.result or '')}")
                click.echo(figures_text(v.figures, v.options))
            elif v.state == OPEN and not v.secret:
                t = tally(s, v.id)
                counted = t.owner_options if owners else t.options
                click.echo("当前计票：" + "，".join(
                    f"{o} {counted[o].households}" if o in counted else f"{o} 0"
                    for o in v.options))
            elif v.state == OPEN:
                click.echo("不记名表决：截止前不显示计票")
            if who and v.state == OPEN:
                missing = not_voted(s, v.id)
                if owners:   # a tenant household does not vote: not a non-voter either
                    voters = set(voter_ids(s, v))
                    missing = [h for h in missing if h in voters]
                labels = s.scalars(select(Household.label).where(Household.id.in_(missing))
                                   .order_by(Household.label)) if missing else []
                click.echo("未投票：" + ("、".join(labels) or "无"))

    @vote_group.command("list")
    @community_option
    def list_cmd(community_name: str | None) -> None:
        """Votes that are proposed, waiting to open, or open (of one community with --community)."""
        tz = linli().settings.community.tz
        with linli().factory() as s:
            q = select(Vote).where(Vote.state.in_((PROPOSED, DRAFT, OPEN)))
            c = resolve_community(s, community_name, required=False)
            if c is not None:
                q = q.where(scope_key_in(Vote.scope_key, c.id))
            for v in s.scalars(q.order_by(Vote.closes_at)):
                click.echo(f"第{v.id}号 ［{STATE_CN.get(v.state, v.state)}］ {v.title} — {v.scope_label}，"
                           f"{local_text(v.closes_at, tz)} 截止")
