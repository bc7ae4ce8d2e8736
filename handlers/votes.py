"""Handler family: stairwell votes (表决 / 投票), conventions (公约), and starting a vote
(发起表决 by staff; a stairwell head's proposal for their own unit, confirmed by staff)."""
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
from handlers.vote_texts import (OUTCOME, TEXTS, by_option_text, figures_text, numbered_lines,
                                 when_text)
from models import authz
from models.address import AddressError, parse_address
from models.community import Household, Place, Scope, community_of_key, find_scope
from models.people import Staff
from models.vote_tally import tally
from models.votes import (CANCELLED, CLOSED, DRAFT, OPEN, PROPOSED, Vote, cast_ballot, closed_by_clock,
                          create_vote, current_choice, current_convention, kind_for_title,
                          open_votes_for, recent_results_for, voter_ids, why_not_voter)
from notices import vote_jobs  # a module reference: vote_jobs imports handlers.vote_texts

_CONFIRM_PROPOSAL = re.compile(r"^\s*确认表决\s*第?\s*(\d+)")
# 延长表决 3 12月8日18点 / 取消表决 3 / 取消第3号表决: staff commands the NLU reads as 表决 3
# (or not at all); the rest of the line is the new closing time.
_CHANGE = re.compile(r"^\s*(延长|延期|取消)\s*(?:表决\s*(?:第\s*)?(\d+)?\s*号?|第?\s*(\d+)\s*号?\s*表决)\s*(.*)$")
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d %H点", "%Y.%m.%d %H:%M")
WHOLE = ("1", "全社区", "社区", "全部")
# Free text that votes for another household: a room number (not 第N号, not a date), a
# neighbour word, or 替/帮/代 followed by someone other than 我 / 自家.
_ROOM = re.compile(r"(?<![\d第.:：/-])(\d{3,4})\s*(?:室|房)?(?![\d号年月日点时楼单元栋:：/-])")
_NEIGHBOUR = re.compile(r"邻居|隔壁|对门|别人家|别家")
_ASKS_RESULTS = re.compile(r"结果|通过了?(?:吗|没)|怎么样了")
_PICK_OPTION = re.compile(r"^(?:我|我家|我们家)?(?:选|投|要)(?:第)?([1-9一二三四五六七八九])(?:个|项|号|种)?[。.!！]*$")
_PROXY = re.compile(r"[替帮代](?![忙表我咱自家投票])")


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
    d.menu_item(30, "楼道表决", "vote.list")
    d.menu_item(35, "楼道公约", "convention.show")

    @d.intent("vote.list")
    def vote_list(ctx: Context, inbound: Inbound) -> Reply:
        h = require_household(ctx)
        if isinstance(h, Reply):
            return h
        votes = open_votes_for(ctx.session, h.id, ctx.now)
        if _ASKS_RESULTS.search(inbound.text or "") or not votes:
            # 投票结果 / 表决结果怎么样, or nothing open: what was decided lately
            results = recent_results_for(ctx.session, h.id, ctx.now)
            lead = [] if votes else [TEXTS["none_open"]]
            if not results:
                return Reply("\n".join(lead + ([] if lead else [TEXTS["results_none"]])))
            lines = lead + [TEXTS["results_head"]]
            lines += [TEXTS["results_item"].format(id=v.id, title=v.title, outcome=OUTCOME.get(v.result or "", ""))
                      for v in results]
            lines.append(TEXTS["results_foot"].format(id=results[0].id))
            return Reply("\n".join(lines))
        lines = [TEXTS["list_head"]]
        for v in votes:
            lines.append(TEXTS["list_item"].format(id=v.id, title=v.title,
                                                   closes=local(ctx, v.closes_at),
                                                   mine=_mine_tag(ctx, v, h)))
        lines.append(TEXTS["list_foot"].format(id=votes[0].id))
        ctx.dialog.set("vote.pick", ids=[v.id for v in votes], show=True)
        return Reply("\n".join(lines))

    @d.intent("vote.show")
    def vote_show(ctx: Context, inbound: Inbound) -> Reply:
        change = _change_command(ctx, inbound.text or "")
        if change is not None:   # the NLU reads 延长表决 N … as vote.show
            return change
        confirm = _CONFIRM_PROPOSAL.match(inbound.text or "")
        if confirm:   # the NLU reads 确认表决 N as vote.show
            return _confirm_proposal(ctx, int(confirm[1]))
        vote_id = ctx.slots.get("vote_id")
        if vote_id is None:
            return vote_list(ctx, inbound)
        vote = visible_vote(ctx, int(vote_id))
        return _show(ctx, vote) if vote else Reply(TEXTS["no_such"].format(id=vote_id))

    @d.intent("vote.open", staff=True)
    def vote_open(ctx: Context, inbound: Inbound) -> Reply:
        """确认表决 N: staff open a stairwell head's proposal."""
        vote_id = ctx.slots.get("vote_id")
        if vote_id is None:   # 确认表决 alone: the proposals waiting for this staff member
            return _pending_proposals(ctx)
        return _confirm_proposal(ctx, int(vote_id))

    @d.fallback
    def change_command(ctx: Context, inbound: Inbound) -> Reply | None:
        """取消表决 N, which the NLU does not understand."""
        return _change_command(ctx, inbound.text or "")

    @d.state("vote.change")
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

    # Not irreversible=True: the dispatcher would ask "您是要……吗？" before anything is
    # checked. A typed `投票 N 同意` casts at once; free text is checked first (bound, a vote
    # the household may vote in, its own household, a clear choice), then confirmed here.
    @d.intent("vote.cast")
    def vote_cast(ctx: Context, inbound: Inbound) -> Reply:
        h = require_household(ctx)
        if isinstance(h, Reply):
            return h
        slots = ctx.slots
        confirm = not (ctx.understanding is not None and ctx.understanding.canonical)
        if confirm:
            other = other_household(inbound.text or "", h)
            if other is not None:
                return Reply(TEXTS["for_other"].format(who=other))
        if slots.get("vote_id") is not None:
            vote = visible_vote(ctx, int(slots["vote_id"]))
            if vote is None:
                return Reply(TEXTS["no_such"].format(id=slots["vote_id"]))
            return _cast_or_ask(ctx, h, vote, slots, confirm)
        votes = open_votes_for(ctx.session, h.id, ctx.now)
        if not votes:
            return Reply(TEXTS["none_open"])
        if len(votes) == 1:
            return _cast_or_ask(ctx, h, votes[0], slots, confirm)
        items = "\n".join(TEXTS["which_vote_item"].format(id=v.id, title=v.title,
                                                         closes=local(ctx, v.closes_at))
                          for v in votes)
        ctx.dialog.set("vote.pick", ids=[v.id for v in votes], choice=slots.get("choice"),
                       option=slots.get("option"), confirm=confirm)
        return Reply(TEXTS["which_vote"].format(items=items, example=votes[0].id))

    @d.fallback
    def option_alone(ctx: Context, inbound: Inbound) -> Reply | None:
        """我选1 / 选第二个 after a ballot push: the one open vote of the household, confirmed."""
        m = _PICK_OPTION.match((inbound.text or "").strip())
        if m is None or ctx.dialog.state not in (None, "menu"):
            return None
        h = require_household(ctx)
        if isinstance(h, Reply):
            return None
        votes = open_votes_for(ctx.session, h.id, ctx.now)
        if len(votes) != 1:
            return None
        n = int(m[1]) if m[1].isdigit() else "一二三四五六七八九".index(m[1]) + 1
        return _cast_or_ask(ctx, h, votes[0], {"option": n}, confirm=True)

    @d.state("vote.pick")
    def pick(ctx: Context, inbound: Inbound) -> Reply | None:
        """The resident answers with a vote's number (its id, as the list shows it)."""
        text, ids = (inbound.text or "").strip(), ctx.dialog.data.get("ids", [])
        if not text.isdigit():
            return None
        if int(text) not in ids:
            return Reply(TEXTS["pick_not_listed"].format(
                text=text, ids="、".join(str(i) for i in ids), example=ids[0]))
        data = dict(ctx.dialog.data)
        ctx.dialog.clear()
        vote = ctx.session.get(Vote, int(text))
        if vote is None:
            return Reply(TEXTS["no_such"].format(id=text))
        if data.get("show"):
            return _show(ctx, vote)
        h = require_household(ctx)
        return h if isinstance(h, Reply) else _cast_or_ask(ctx, h, vote, data,
                                                           bool(data.get("confirm")))

    @d.state("vote.choose")
    def choose(ctx: Context, inbound: Inbound) -> Reply | None:
        vote = ctx.session.get(Vote, ctx.dialog.data.get("vote_id", 0))
        text = (inbound.text or "").strip()
        if vote is None:
            return None
        choice = _choice_from(vote, {"option": int(text)} if text.isdigit() else {"choice": text})
        if choice is None:
            if text.isdigit():
                return Reply(TEXTS["bad_choice"].format(numbered=numbered_lines(vote.options)))
            return None
        ctx.dialog.clear()
        h = require_household(ctx)
        return h if isinstance(h, Reply) else _cast(ctx, h, vote, choice)

    @d.intent("convention.show")
    def convention_show(ctx: Context, inbound: Inbound) -> Reply:
        h = require_household(ctx)
        if isinstance(h, Reply):
            return h
        keys = [f"unit:{h.unit_id}", f"building:{h.building_id}", f"point:{h.point_id}",
                f"community:{h.community_id}"]
        conv = current_convention(ctx.session, keys)
        if conv is None:
            return Reply(TEXTS["no_convention"])
        t = conv.adopted_at.astimezone(ctx.settings.community.tz)
        return Reply(TEXTS["convention"].format(
            scope=conv.scope_label, version=conv.version, date=f"{t.year}年{t.month}月{t.day}日",
            vote_id=conv.vote_id, title=conv.title, text=conv.text))

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


def _confirm_proposal(ctx: Context, vote_id: int) -> Reply:
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


def _change_command(ctx: Context, text: str) -> Reply | None:
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


def other_household(text: str, h: Household) -> str | None:
    """Who the text votes for when that is not the writer's own household (else None):
    "302室" for another room number, "邻居" for a neighbour or a named person."""
    for match in _ROOM.finditer(text):
        if match[1] != (h.room or "").strip():
            return f"{match[1]}室的住户"
    if _NEIGHBOUR.search(text) or _PROXY.search(text):
        return "邻居"
    return None


def _choice_from(vote: Vote, slots: dict[str, Any]) -> str | None:
    """An option number wins over a word (custom options need not contain 同意)."""
    option = slots.get("option")
    if option is not None and 1 <= int(option) <= len(vote.options):
        return vote.options[int(option) - 1]
    choice = slots.get("choice")
    return choice if choice in vote.options else None


def _refusal(ctx: Context, h: Household, vote: Vote) -> Reply | None:
    if vote.state == CANCELLED:
        return Reply(TEXTS["cancelled"].format(id=vote.id))
    if vote.state == CLOSED or (vote.state == OPEN and vote.closes_at <= ctx.now):
        return Reply(TEXTS["ended"].format(id=vote.id))
    if vote.state != OPEN:
        return Reply(TEXTS["not_open_yet"].format(id=vote.id))
    why = why_not_voter(ctx.session, vote, h.id)
    if why is not None:
        return Reply(TEXTS[why].format(id=vote.id, scope=vote.scope_label))
    return None


def _cast_or_ask(ctx: Context, h: Household, vote: Vote, slots: dict[str, Any],
                 confirm: bool = False) -> Reply:
    """Cast, or ask what is missing; `confirm`: free text, so ask before casting."""
    refusal = _refusal(ctx, h, vote)
    if refusal:
        return refusal
    choice = _choice_from(vote, slots)
    if choice is None:   # the numbered answer is explicit: no confirmation after it
        ctx.dialog.set("vote.choose", vote_id=vote.id)
        return Reply(TEXTS["which_choice"].format(id=vote.id, title=vote.title,
                                                  numbered=numbered_lines(vote.options)))
    if confirm:
        ctx.dialog.set("confirm", intent="vote.cast", slots={"vote_id": vote.id, "choice": choice})
        return Reply(TEXTS["confirm_cast"].format(room=f"{h.room}室", id=vote.id, title=vote.title,
                                                  choice=choice))
    return _cast(ctx, h, vote, choice)


def _cast(ctx: Context, h: Household, vote: Vote, choice: str) -> Reply:
    refusal = _refusal(ctx, h, vote)
    if refusal:
        return refusal
    cast_ballot(ctx.session, vote, h.id, choice, ctx.openid, ctx.now)
    # A secret ballot is not echoed: replies are kept (retries, chat history) and a
    # phone is often shared in a family.
    text = TEXTS["recorded_secret" if vote.secret else "recorded"].format(
        room=f"{h.room}室", choice=choice, id=vote.id, title=vote.title,
        closes=local(ctx, vote.closes_at))
    return Reply(text)


def _mine_tag(ctx: Context, vote: Vote, h: Household) -> str:
    choice = current_choice(ctx.session, vote.id, h.id)
    if choice is None:
        return TEXTS["mine_not"]
    if vote.secret:
        return TEXTS["mine_voted_secret"]
    return TEXTS["mine_voted"].format(choice=choice)


def _show(ctx: Context, vote: Vote) -> Reply:
    started = vote.state in (OPEN, CLOSED)
    if vote.state == CLOSED and vote.figures:
        status = TEXTS["show_result"].format(outcome=OUTCOME.get(vote.result or "", ""),
                                             figures=figures_text(vote.figures, vote.options))
    elif vote.state == OPEN:
        # Counted as the result will be: under an owners-only rule, owners' ballots only.
        t, owners = tally(ctx.session, vote.id), vote.owners_only
        voted = t.participated(owners).households
        eligible = (t.eligible_owners if owners else t.eligible).households
        if vote.secret:
            status = TEXTS["show_hidden"].format(voted=voted, eligible=eligible)
        else:
            counts = {o: g.households for o, g in (t.owner_options if owners else t.options).items()}
            status = TEXTS["show_running"].format(voted=voted, eligible=eligible,
                                                  by_option=by_option_text(counts, vote.options))
        if owners:
            status += TEXTS["owners_only_note"]
    else:
        status = TEXTS["show_state"].get(vote.state, vote.state)
    text = TEXTS["show"].format(
        id=vote.id, title=vote.title, scope=vote.scope_label, text=vote.text,
        options=" / ".join(f"{i} {o}" for i, o in enumerate(vote.options, 1)),
        when=when_text(lambda t: local(ctx, t), vote.opens_at, vote.closes_at, started),
        status=status)
    h = require_household(ctx)
    if isinstance(h, Household) and vote.state == OPEN and why_not_voter(ctx.session, vote, h.id) is None:
        text += "\n" + TEXTS["show_mine"].format(mine=_mine_tag(ctx, vote, h))
        text += "\n" + TEXTS["show_foot"].format(id=vote.id)
    else:
        text += "\n" + TEXTS["show_foot_other"]
    return Reply(text)
