"""Handler family: starting and changing votes — 发起表决 (staff, or a stairwell head's
proposal for their own unit), 确认表决 (staff open a proposal), 延长表决 / 取消表决. The
resident side (表决, 投票, 公约) is handlers.votes; wording in handlers.vote_texts."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.reply import Reply
from handlers.basic import NO, YES
from handlers.common import (local, require_household, resident_community, staff_community,
                             staff_community_scope, staff_of, staff_sees_key)
from handlers.vote_texts import TEXTS
from models import authz
from models.address import AddressError, parse_address
from models.community import Household, Place, Scope, community_of_key, find_scope
from models.people import Staff
from models.votes import (DRAFT, OPEN, PROPOSED, Vote, closed_by_clock,
                          create_vote, kind_for_title, voter_ids)
from notices import vote_jobs  # a module reference: vote_jobs imports handlers.vote_texts

# 延长表决 3 12月8日18点 / 取消表决 3 / 取消第3号表决: staff commands the NLU reads as 表决 3
# (or not at all); the rest of the line is the new closing time.
_CHANGE = re.compile(r"^\s*(延长|延期|取消)\s*(?:表决\s*(?:第\s*)?(\d+)?\s*号?|第?\s*(\d+)\s*号?\s*表决)\s*(.*)$")
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d %H点", "%Y.%m.%d %H:%M")
WHOLE = ("1", "全社区", "社区", "全部")


def visible_vote(ctx: Context, vote_id: int) -> Vote | None:
    """A vote of the writer's own community (staff: theirs; residents: their household's);
    another community's votes are answered as if they did not exist."""
    vote = ctx.session.get(Vote, vote_id)
    if vote is None:
        return None
    if staff_of(ctx) is not None:
        return vote if staff_sees_key(ctx, vote.scope_key) else None
    mine = resident_community(ctx)
    return vote if mine is None or community_of_key(ctx.session, vote.scope_key) == mine else None


def register(d: Dispatcher) -> None:
    @d.intent("vote.open", staff=True)
    def vote_open(ctx: Context, inbound: Inbound) -> Reply:
        """确认表决 N: staff open a stairwell head's proposal."""
        vote_id = ctx.slots.get("vote_id")
        if vote_id is None:   # 确认表决 alone: the proposals waiting for this staff member
            return _pending_proposals(ctx)
        return confirm_proposal(ctx, int(vote_id))

    @d.fallback
    def change_fallback(ctx: Context, inbound: Inbound) -> Reply | None:
        """取消表决 N, which the NLU does not understand."""
        return change_command(ctx, inbound.text or "")

    @d.state("vote.change", confirms=True)
    def change_confirm(ctx: Context, inbound: Inbound) -> Reply | None:
        """1 / 2 after "确认把第N号表决……吗？"."""
        text, data = (inbound.text or "").strip(), dict(ctx.dialog.data)
        if YES.match(text):
            ctx.dialog.clear()
            return _apply_change(ctx, data)
        if NO.match(text):
            ctx.dialog.clear()
            return Reply(TEXTS["change_kept"].format(id=data.get("vote_id")))
        return None

    # Not staff=True: a stairwell head may use it too, to propose for their own unit.
    @d.intent("vote.create")
    def vote_create(ctx: Context, inbound: Inbound) -> Reply:
        staff = staff_of(ctx)
        data: dict[str, Any] = {"title": ""}
        if ctx.understanding is not None and ctx.understanding.canonical:
            data["title"] = str(ctx.slots.get("title") or "").strip()
        if _may_create(staff):
            ctx.dialog.set("vote.new", step="scope", proposed=False, **data)
            return Reply(TEXTS["create_scope"])
        h = require_household(ctx) if ctx.resident.stairwell_head else None
        if not isinstance(h, Household):
            return Reply(TEXTS["staff_only"])
        place = ctx.session.get(Place, h.unit_id)
        return _ask_next(ctx, {**data, "proposed": True, "scope_key": f"unit:{h.unit_id}",
                               "scope_label": place.label if place else ""})

    @d.state("vote.new")
    def new_vote(ctx: Context, inbound: Inbound) -> Reply | None:
        data, text = dict(ctx.dialog.data), (inbound.text or "").strip()
        step = data.get("step")
        if step == "scope":
            scope, why = _scope_from(ctx, text)
            if scope is None:
                return Reply(TEXTS["bad_scope"].format(text=text, why=why))
            data.update(scope_key=scope.key, scope_label=scope.label)
        elif step in ("title", "text"):
            data[step] = text
        elif step == "closes":
            closes = _parse_closes(ctx, text)
            if closes is None:
                return Reply(TEXTS["create_bad_time"].format(text=text))
            data["closes"] = closes.isoformat()
        elif step == "confirm":
            if YES.match(text):
                ctx.dialog.clear()
                return _create(ctx, data)
            if NO.match(text):
                ctx.dialog.clear()
                return Reply(d.texts.get("confirm_cancelled", "好的，没有办理。"))
            return Reply(_confirm_text(ctx, data))
        return _ask_next(ctx, data)


def _scope_from(ctx: Context, text: str) -> tuple[Scope | None, str]:
    """全社区: the staff member's whole community; else a place of it (and why not)."""
    if text in WHOLE:
        return staff_community_scope(ctx), "还没有导入社区名册。"
    try:
        scope = find_scope(ctx.session, parse_address(text), staff_community(ctx))
    except AddressError as exc:
        return None, exc.message
    return scope, "" if scope else "没有这个地方。"


def _may_create(staff: Staff | None) -> bool:
    return authz.can(staff, "vote.create")


def _ask_next(ctx: Context, data: dict[str, Any]) -> Reply:
    """The next missing field of a new vote, in order: scope, title, text, closes, confirm."""
    for step, key in (("scope", "scope_key"), ("title", "title"), ("text", "text"),
                      ("closes", "closes")):
        if not data.get(key):
            ctx.dialog.set("vote.new", **{**data, "step": step})
            prompt = TEXTS[f"create_{step}"]
            return Reply(prompt.format(scope=data.get("scope_label", "")))
    ctx.dialog.set("vote.new", **{**data, "step": "confirm"})
    return Reply(_confirm_text(ctx, data))


def _confirm_text(ctx: Context, data: dict[str, Any]) -> str:
    return TEXTS["create_confirm"].format(
        scope=data["scope_label"], title=data["title"], text=data["text"][:200],
        closes=local(ctx, datetime.fromisoformat(data["closes"])))


def _parse_closes(ctx: Context, text: str) -> datetime | None:
    tz = ctx.settings.community.tz
    found: datetime | None = None
    if ctx.slots.get("when"):
        found = datetime.fromisoformat(str(ctx.slots["when"]))
    for fmt in _DATE_FORMATS:
        if found is None:
            try:
                found = datetime.strptime(text, fmt).replace(tzinfo=tz)
            except ValueError:
                continue
    if found is None:
        from bot.nlu.timeparse import find_when
        when = find_when(text, ctx.now)
        if when is not None and when.clock is not None:
            found = datetime.combine(when.day, when.clock, tzinfo=tz)
    if found is None or found.astimezone(UTC) <= ctx.now:
        return None
    return found.astimezone(UTC)


def _create(ctx: Context, data: dict[str, Any]) -> Reply:
    scope = Scope.from_key(data["scope_key"], data["scope_label"])
    kind = kind_for_title(data["title"])
    closes = datetime.fromisoformat(data["closes"])
    try:
        vote = create_vote(ctx.session, scope, data["title"], data["text"], closes_at=closes,
                           now=ctx.now, kind=kind, created_by=ctx.openid,
                           proposed=bool(data.get("proposed")))
    except ValueError as exc:
        return Reply(TEXTS["create_failed"].format(why=str(exc).partition(": ")[2] or exc))
    if vote.state == PROPOSED:   # told to the staff of the proposing head's community
        where = community_of_key(ctx.session, vote.scope_key)
        for st in ctx.session.scalars(select(Staff).where(Staff.active.is_(True),
                                                         Staff.openid.is_not(None))):
            if _may_create(st) and authz.sees(ctx.session, st, where):
                ctx.push(st.openid or "", TEXTS["proposed_staff"].format(
                    id=vote.id, title=vote.title, scope=vote.scope_label),
                    notice_key=f"vote:{vote.id}:proposed", kind="vote")
        return Reply(TEXTS["proposed"].format(id=vote.id, title=vote.title))
    ids = vote_jobs.open_vote(ctx.session, vote, ctx.now, ctx.settings.community.tz) or []
    ctx.pushed.extend(ids)
    return Reply(TEXTS["create_done"].format(id=vote.id, title=vote.title,
                                             households=len(voter_ids(ctx.session, vote)),
                                             closes=local(ctx, vote.closes_at)))


def confirm_proposal(ctx: Context, vote_id: int) -> Reply:
    if not _may_create(staff_of(ctx)):
        return Reply(TEXTS["staff_only"])
    vote = visible_vote(ctx, vote_id)
    if vote is None:
        return Reply(TEXTS["no_such"].format(id=vote_id))
    if vote.state == PROPOSED and closed_by_clock(vote, ctx.now):
        return Reply(TEXTS["confirm_expired"].format(id=vote.id, title=vote.title,
                                                     closes=local(ctx, vote.closes_at)))
    ids = vote_jobs.confirm_proposal(ctx.session, vote, ctx.now, ctx.settings.community.tz)
    if ids is None:
        return Reply(TEXTS["confirm_not_proposed"].format(id=vote_id))
    ctx.pushed.extend(ids)
    return Reply(TEXTS["confirm_done"].format(id=vote.id, title=vote.title,
                                              households=len(voter_ids(ctx.session, vote))))


def _pending_proposals(ctx: Context) -> Reply:
    """Stairwell heads' proposals this staff member may confirm, soonest closing first."""
    staff = staff_of(ctx)
    if not _may_create(staff):
        return Reply(TEXTS["staff_only"])
    rows = [v for v in ctx.session.scalars(select(Vote).where(Vote.state == PROPOSED)
                                           .order_by(Vote.closes_at, Vote.id))
            if staff_sees_key(ctx, v.scope_key)]
    if not rows:
        return Reply(TEXTS["pending_none"])
    lines = [TEXTS["pending_head"]]
    for v in rows:
        key = "pending_item_expired" if closed_by_clock(v, ctx.now) else "pending_item"
        lines.append(TEXTS[key].format(id=v.id, title=v.title, scope=v.scope_label,
                                       closes=local(ctx, v.closes_at)))
    lines.append(TEXTS["pending_foot"].format(id=rows[0].id))
    return Reply("\n".join(lines))


def change_command(ctx: Context, text: str) -> Reply | None:
    """延长表决 N 时间 / 取消表决 N by staff: checked, then confirmed (state vote.change)."""
    m = _CHANGE.match(text)
    if m is None:
        return None
    action = "cancel" if m[1] == "取消" else "extend"
    if not _may_create(staff_of(ctx)):
        return Reply(TEXTS["staff_only"])
    number = m[2] or m[3]
    if number is None:
        return Reply(TEXTS[f"{action}_usage"].format(id=_example_id(ctx)))
    vote = visible_vote(ctx, int(number))
    if vote is None:
        return Reply(TEXTS["no_such"].format(id=number))
    households = len(voter_ids(ctx.session, vote)) if vote.state == OPEN else 0
    if action == "cancel":
        if vote.state not in (DRAFT, PROPOSED, OPEN):
            return Reply(TEXTS["cancel_not_open"].format(id=vote.id))
        ctx.dialog.set("vote.change", action="cancel", vote_id=vote.id)
        who = TEXTS["cancel_who_open"].format(households=households) if households else ""
        return Reply(TEXTS["cancel_confirm"].format(id=vote.id, title=vote.title, who=who))
    rest = m[4].strip()
    if not rest:
        return Reply(TEXTS["extend_usage"].format(id=vote.id))
    closes = _parse_closes(ctx, rest)
    if closes is None:
        return Reply(TEXTS["extend_bad_time"].format(text=rest, id=vote.id))
    why = vote_jobs.extend_refusal(vote, closes, ctx.now)
    if why is not None:
        return Reply(TEXTS[why].format(id=vote.id, closes=local(ctx, vote.closes_at)))
    ctx.dialog.set("vote.change", action="extend", vote_id=vote.id, closes=closes.isoformat())
    who = TEXTS["extend_who_open"].format(households=households) if households else ""
    return Reply(TEXTS["extend_confirm"].format(id=vote.id, title=vote.title, who=who,
                                                old=local(ctx, vote.closes_at), new=local(ctx, closes)))


def _example_id(ctx: Context) -> int:
    """A vote this staff member could change, for the example in a usage line."""
    for v in ctx.session.scalars(select(Vote).where(Vote.state.in_((DRAFT, PROPOSED, OPEN)))
                                 .order_by(Vote.id.desc()).limit(20)):
        if staff_sees_key(ctx, v.scope_key):
            return v.id
    return 1


def _apply_change(ctx: Context, data: dict[str, Any]) -> Reply:
    if not _may_create(staff_of(ctx)):   # the role may have changed since the question
        return Reply(TEXTS["staff_only"])
    vote = visible_vote(ctx, int(data.get("vote_id") or 0))
    if vote is None:
        return Reply(TEXTS["no_such"].format(id=data.get("vote_id")))
    if data.get("action") == "cancel":
        ids = vote_jobs.cancel_vote(ctx.session, vote, ctx.now)
        if ids is None:
            return Reply(TEXTS["cancel_not_open"].format(id=vote.id))
        key = "cancel_done"
    else:
        closes = datetime.fromisoformat(str(data.get("closes")))
        why = vote_jobs.extend_refusal(vote, closes, ctx.now)
        ids = None if why else vote_jobs.extend_vote(ctx.session, vote, closes, ctx.now,
                                                     ctx.settings.community.tz)
        if ids is None:
            return Reply(TEXTS[why or "extend_not_open"].format(id=vote.id, closes=local(ctx, vote.closes_at)))
        key = "extend_done"
    ctx.pushed.extend(ids)
    households = len(voter_ids(ctx.session, vote)) if ids else 0
    told = TEXTS["extend_told"].format(households=households) if households else ""
    return Reply(TEXTS[key].format(id=vote.id, title=vote.title, closes=local(ctx, vote.closes_at),
                                   told=told))
