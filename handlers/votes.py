"""Handler family: stairwell votes as residents meet them — 表决 (the list, one vote, the
results), 投票 (the household's ballot), 公约. Starting and changing a vote is
handlers.vote_staff; wording in handlers.vote_texts."""
from __future__ import annotations

import re
from typing import Any


from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.reply import Reply
from handlers import vote_staff
from handlers.common import (local, require_household)
from handlers.vote_staff import change_command, confirm_proposal, visible_vote
from handlers.vote_texts import (OUTCOME, TEXTS, by_option_text, figures_text, numbered_lines,
                                 when_text)
from models.community import Household
from models.vote_tally import tally
from models.votes import (CANCELLED, CLOSED, OPEN, Vote, cast_ballot, current_choice, current_convention,
                          open_votes_for, recent_results_for, why_not_voter)

_CONFIRM_PROPOSAL = re.compile(r"^\s*确认表决\s*第?\s*(\d+)")
# Free text that votes for another household: a room number (not 第N号, not a date), a
# neighbour word, or 替/帮/代 followed by someone other than 我 / 自家.
_ROOM = re.compile(r"(?<![\d第.:：/-])(\d{3,4})\s*(?:室|房)?(?![\d号年月日点时楼单元栋:：/-])")
_NEIGHBOUR = re.compile(r"邻居|隔壁|对门|别人家|别家")
_ASKS_RESULTS = re.compile(r"结果|通过了?(?:吗|没)|怎么样了")
_PICK_OPTION = re.compile(r"^(?:我|我家|我们家)?(?:选|投|要)(?:第)?([1-9一二三四五六七八九])(?:个|项|号|种)?[。.!！]*$")
_PROXY = re.compile(r"[替帮代](?![忙表我咱自家投票])")


def register(d: Dispatcher) -> None:
    vote_staff.register(d)
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
        change = change_command(ctx, inbound.text or "")
        if change is not None:   # the NLU reads 延长表决 N … as vote.show
            return change
        confirm = _CONFIRM_PROPOSAL.match(inbound.text or "")
        if confirm:   # the NLU reads 确认表决 N as vote.show
            return confirm_proposal(ctx, int(confirm[1]))
        vote_id = ctx.slots.get("vote_id")
        if vote_id is None:
            return vote_list(ctx, inbound)
        vote = visible_vote(ctx, int(vote_id))
        return _show(ctx, vote) if vote else Reply(TEXTS["no_such"].format(id=vote_id))

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
        return _in_open_vote(ctx, h, slots, confirm)

    @d.fallback
    def option_alone(ctx: Context, inbound: Inbound) -> Reply | None:
        """我选1 / 选第二个 after a ballot push: the one open vote of the household, confirmed."""
        m = _PICK_OPTION.match((inbound.text or "").strip())
        if m is None or ctx.dialog.state not in (None, "menu"):
            return None
        h = require_household(ctx)
        if isinstance(h, Reply):
            return None
        n = int(m[1]) if m[1].isdigit() else "一二三四五六七八九".index(m[1]) + 1
        return _in_open_vote(ctx, h, {"option": n}, confirm=True)

    @d.state("vote.pick")
    def pick(ctx: Context, inbound: Inbound) -> Reply | None:
        """The resident answers with a vote's number (its id, as the list shows it)."""
        text, ids = (inbound.text or "").strip(), ctx.dialog.data.get("ids", [])
        if not text.isdigit():
            return None
        if int(text) not in ids:
            if ctx.dialog.data.get("show") and (elsewhere := d.claimed_elsewhere(ctx)) is not None:
                return elsewhere    # after 表决, a number it does not list may be a rating's
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

    @d.state("vote.detail", quiet=True)   # after 表决 N: expires without a word
    @d.state("vote.choose")
    def choose(ctx: Context, inbound: Inbound) -> Reply | None:
        vote = ctx.session.get(Vote, ctx.dialog.data.get("vote_id", 0))
        text = (inbound.text or "").strip()
        if vote is None:
            return None
        choice = _choice_from(vote, {"option": int(text)} if text.isdigit() else {"choice": text})
        after_detail = bool(ctx.dialog.data.get("confirm"))
        if choice is None:
            if text.isdigit():
                if after_detail and (elsewhere := d.claimed_elsewhere(ctx)) is not None:
                    return elsewhere
                return Reply(TEXTS["bad_choice"].format(numbered=numbered_lines(vote.options)))
            return None
        ctx.dialog.clear()
        h = require_household(ctx)
        if isinstance(h, Reply):
            return h
        # asked "请回复数字", the number is the ballot; after 表决 N it is confirmed first
        return _cast_or_ask(ctx, h, vote, {"choice": choice}, confirm=True) if after_detail \
            else _cast(ctx, h, vote, choice)

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



def _in_open_vote(ctx: Context, h: Household, slots: dict[str, Any], confirm: bool) -> Reply:
    """A ballot that names no vote: the household's one open vote, or ask which (or say none)."""
    votes = open_votes_for(ctx.session, h.id, ctx.now)
    if not votes:
        return Reply(TEXTS["none_open"])
    if len(votes) == 1:
        return _cast_or_ask(ctx, h, votes[0], slots, confirm)
    items = "\n".join(TEXTS["which_vote_item"].format(id=v.id, title=v.title, closes=local(ctx, v.closes_at))
                      for v in votes)
    ctx.dialog.set("vote.pick", ids=[v.id for v in votes], choice=slots.get("choice"),
                   option=slots.get("option"), confirm=confirm)
    return Reply(TEXTS["which_vote"].format(items=items, example=votes[0].id))


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
        ctx.dialog.set("vote.detail", vote_id=vote.id, confirm=True)   # a number next is a ballot
    else:
        text += "\n" + TEXTS["show_foot_other"]
    return Reply(text)
