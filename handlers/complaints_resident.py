"""Requests (民情诉求), the resident's side after filing: 我的诉求, 查询 编号, 评价, 没修好."""
from __future__ import annotations

import re

from sqlalchemy import or_, select

from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.reply import Reply
from handlers.common import household_of, local, require_household, staff_of
from handlers.complaint_texts import SATISFIED_WORDS, TEXTS
from handlers.complaints_staff import TICKET, offer_resolve
from models.complaint_rules import SUPPLEMENT_PREFIX, Actor, household_label, responsible_staff, transition
from models.complaints import (
    CLOSED,
    IN_PROGRESS,
    RESOLVED,
    STATE_LABELS,
    Complaint,
    ComplaintEvent,
    ComplaintFollower,
    by_ticket,
    visible_to,
)
from models.people import Staff

LIST_LIMIT = 5
YES = re.compile(r"^(1|一|确认|确定|是|是的|对|好|好的|嗯)[。.!！]*$")
NO = re.compile(r"^(2|二|不|不是|不对|不要|否|算了)[。.!！]*$")


# 5 / 4分 alone answering the rating push. A bare 1 or 2 is too often a menu or "1 确认" reflex
# to be read as a low score: those need 分 (1分, 两分).
SCORE_ALONE = re.compile(r"^(?:([3-5三四五])|([1-5一二两三四五])\s*(?:分|星|颗星))[。.!！]*$")
# Words that say the problem is still there: a low score with them is a reopening, maybe.
NOT_FIXED = re.compile(r"没修好|没有修好|没弄好|没搞好|没处理好|没解决|没有解决|不解决|还是不|"
                       r"还不亮|还不行|还不能|还在|还是坏|又坏|又不|还没好|还没修|没人来|根本没|照样|依旧|仍然")
# What a staff member's "done" sentence is made of, besides the ticket and the note.
DONE_WORDS = re.compile(r"^(我|我们)?(已经|已|都)?(处理|修|弄|搞|办|清理|清)(好|完)(了)?(啊|啦|哈)?$")
LOW_SCORE = "complaint.low_score"


def _short(text: str, n: int = 24) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _mine(ctx: Context, household_id: int) -> list[Complaint]:
    followed = select(ComplaintFollower.complaint_id).where(
        ComplaintFollower.household_id == household_id)
    return list(ctx.session.scalars(select(Complaint).where(or_(
        Complaint.household_id == household_id, Complaint.id.in_(followed)))
        .order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(LIST_LIMIT)))


def _resolved(ctx: Context, household_id: int) -> list[Complaint]:
    """The household's requests resolved and waiting for a rating, latest first."""
    return list(ctx.session.scalars(select(Complaint).where(
        Complaint.household_id == household_id, Complaint.state == RESOLVED)
        .order_by(Complaint.resolved_at.desc(), Complaint.id.desc()).limit(LIST_LIMIT)))


def _latest_resolved(ctx: Context, household_id: int) -> Complaint | None:
    found = _resolved(ctx, household_id)
    return found[0] if found else None


def _rate_what(c: Complaint, score: int) -> str:
    return TEXTS["rate_describe"].format(ticket=c.ticket, category=c.category_label, text=_short(c.text, 16),
                                         score=score)


def _which_to_rate(ctx: Context, household_id: int, score: int | None, comment: str | None) -> Reply | None:
    """With several requests waiting for a rating and none named, ask which (a number picks)."""
    found = _resolved(ctx, household_id)
    if ctx.slots.get("ticket") or len(found) < 2:
        return None
    ctx.dialog.set("complaint.rate_pick", tickets=[c.ticket for c in found], score=score, comment=comment)
    items = "\n".join(TEXTS["rate_which_item"].format(i=i, ticket=c.ticket, category=c.category_label,
                                                       text=_short(c.text, 16)) for i, c in enumerate(found, 1))
    return Reply(TEXTS["rate_which"].format(n=len(found), items=items))


def _target(ctx: Context) -> Complaint | None:
    """The request a rating or a reopening is about: the named one, else the latest resolved."""
    h = household_of(ctx)
    if h is None:
        return None
    ticket = ctx.slots.get("ticket")
    if ticket:
        c = by_ticket(ctx.session, ticket)
        return c if c is not None and c.household_id == h.id else None
    return _latest_resolved(ctx, h.id)


def detail(ctx: Context, c: Complaint, *, for_staff: bool = False) -> str:
    events = ctx.session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == c.id).order_by(ComplaintEvent.id)).all()
    lines = []
    for e in events[-5:]:
        what = STATE_LABELS.get(e.to_state, e.to_state) + (f"：{e.note}" if e.note else "")
        if e.from_state == RESOLVED and e.to_state == IN_PROGRESS:
            what = "重新处理" + (f"：{e.note}" if e.note else "")
        elif e.from_state == e.to_state and (e.note or "").startswith(SUPPLEMENT_PREFIX):
            what = TEXTS["detail_supplement"].format(text=_short(e.note[len(SUPPLEMENT_PREFIX):], 60))
        lines.append(TEXTS["detail_event"].format(at=local(ctx, e.at), what=what))
    assignee = ctx.session.get(Staff, c.assignee_id) if c.assignee_id else None
    extra = TEXTS["detail_rate_hint"].format(ticket=c.ticket) if c.state == RESOLVED else ""
    if c.rating:
        extra = f"\n评价：{c.rating}分" + (f"（{c.rating_comment}）" if c.rating_comment else "")
    return TEXTS["detail"].format(
        ticket=c.ticket, category=c.category_label, state=c.state_label, text=_short(c.text, 80),
        created=local(ctx, c.created_at), assignee=f"\n经办：{assignee.name}" if assignee else "",
        extra=TEXTS["detail_place"].format(place=household_label(ctx.session, c)) if for_staff else "",
        timeline="\n".join(lines)) + extra


def _score_of(ctx: Context) -> int | None:
    score = ctx.slots.get("score")
    if isinstance(score, int):
        return score
    text = ctx.inbound.text or ""
    return next((s for word, s in SATISFIED_WORDS if word in text), None)


def rate(ctx: Context, c: Complaint, score: int, comment: str | None) -> Reply:
    if c.state == CLOSED and c.rating is not None:
        return Reply(TEXTS["already_rated"].format(ticket=c.ticket))
    if c.state != RESOLVED:
        return Reply(TEXTS["not_resolved_yet"].format(ticket=c.ticket, state=c.state_label))
    if not 1 <= score <= 5:
        return Reply(TEXTS["bad_score"].format(ticket=c.ticket))
    c.rating, c.rating_comment = score, (comment or None)
    transition(ctx.session, c, CLOSED, Actor("resident", ctx.openid), f"评价 {score} 分", ctx.now)
    ctx.dialog.clear()
    return Reply(TEXTS["rated"].format(score=score, ticket=c.ticket))


def _confirm(ctx: Context, intent: str, c: Complaint, what: str, **data: object) -> Reply | None:
    """Free text that would close or reopen a request is confirmed first (typed commands
    are not); done here rather than by the dispatcher so that "nothing to rate" is said
    straight away instead of after a pointless question."""
    u = ctx.understanding
    if u is None or u.canonical:    # typed, or confirmed already (run_intent marks it canonical)
        return None
    ctx.dialog.set("complaint.confirm", intent=intent, ticket=c.ticket, **data)
    return Reply(TEXTS["confirm"].format(what=what))


def register(d: Dispatcher) -> None:
    @d.intent("complaint.status")
    def status(ctx: Context, inbound: Inbound) -> Reply:
        ticket = ctx.slots.get("ticket")
        if ticket and staff_of(ctx) is not None:
            from handlers.complaints_staff import visible_ticket
            c = visible_ticket(ctx, ticket)   # none of another community's
            if c is not None or household_of(ctx) is None:
                return Reply(detail(ctx, c, for_staff=True) if c else TEXTS["not_found_staff"])
        h = require_household(ctx)
        if isinstance(h, Reply):
            return h
        if ticket:
            c = by_ticket(ctx.session, ticket)
            if c is None or not visible_to(ctx.session, c, h.id):
                return Reply(TEXTS["not_found"])   # the same answer as for no such ticket
            return Reply(detail(ctx, c))
        rows = _mine(ctx, h.id)
        if not rows:
            return Reply(TEXTS["none_yet"])
        lines = [TEXTS["my_list_head"].format(n=len(rows))]
        lines += [TEXTS["my_list_line"].format(i=i, ticket=c.ticket, category=c.category_label,
                                               state=c.state_label, text=_short(c.text))
                  for i, c in enumerate(rows, 1)]
        lines.append(TEXTS["my_list_foot"].format(ticket=rows[0].ticket))
        ctx.dialog.set("complaint.list", tickets=[c.ticket for c in rows])
        return Reply("\n".join(lines))

    @d.state("complaint.list", quiet=True)
    def list_pick(ctx: Context, inbound: Inbound) -> Reply | None:
        """A number after 我的诉求 opens that line (it was never a score)."""
        text, tickets = (inbound.text or "").strip(), ctx.dialog.data.get("tickets", [])
        if not (text.isdigit() and 1 <= int(text) <= len(tickets)):
            return None
        c = by_ticket(ctx.session, tickets[int(text) - 1])
        h = household_of(ctx)
        if c is None or h is None or not visible_to(ctx.session, c, h.id):
            return None
        return Reply(detail(ctx, c))

    @d.state("complaint.rate_pick")
    def rate_pick(ctx: Context, inbound: Inbound) -> Reply | None:
        text, data = (inbound.text or "").strip(), dict(ctx.dialog.data)
        tickets = data.get("tickets", [])
        if not (text.isdigit() and 1 <= int(text) <= len(tickets)):
            return None
        ctx.dialog.clear()
        c, h = by_ticket(ctx.session, tickets[int(text) - 1]), household_of(ctx)
        if c is None or h is None or c.household_id != h.id:
            return None
        if data.get("score") is None:
            ctx.dialog.set("complaint.rate_score", ticket=c.ticket, comment=data.get("comment"))
            return Reply(TEXTS["ask_score"].format(ticket=c.ticket))
        return rate(ctx, c, int(data["score"]), data.get("comment"))

    @d.intent("complaint.rate")
    def rate_intent(ctx: Context, inbound: Inbound) -> Reply:
        h = require_household(ctx)
        if isinstance(h, Reply):
            return _staff_done(ctx) or h
        score = _score_of(ctx)
        if (which := _which_to_rate(ctx, h.id, score, ctx.slots.get("comment"))) is not None:
            return which
        c = _target(ctx)
        if c is None:
            return Reply(TEXTS["not_found" if ctx.slots.get("ticket") else "nothing_to_rate"])
        if score is None:
            if c.state != RESOLVED:
                return rate(ctx, c, 5, None)     # explains why it cannot be rated
            ctx.dialog.set("complaint.rate_score", ticket=c.ticket,
                           comment=ctx.slots.get("comment"))
            return Reply(TEXTS["ask_score"].format(ticket=c.ticket))
        comment = ctx.slots.get("comment")
        if c.state == RESOLVED and (ask := _ask_if_not_fixed(ctx, c, score, comment)) is not None:
            return ask
        if c.state == RESOLVED:
            ask = _confirm(ctx, "complaint.rate", c, _rate_what(c, score), score=score,
                           comment=ctx.slots.get("comment"))
            if ask is not None:
                return ask
        return rate(ctx, c, score, ctx.slots.get("comment"))

    @d.fallback
    def score_alone(ctx: Context, inbound: Inbound) -> Reply | None:
        """A bare 5 (or 4分) answering the "please rate" push rates the request that waits
        for it, after one confirmation: the number alone may have meant something else."""
        m = SCORE_ALONE.match((inbound.text or "").strip())
        if m is None or ctx.dialog.state not in (None, "menu"):
            return None
        h = household_of(ctx)    # only for a bare score: every unknown message passes here
        if h is None:
            return None
        c = _latest_resolved(ctx, h.id)
        if c is None:
            return None
        digit = (m[1] or m[2]).replace("两", "二")
        score = "一二三四五".index(digit) + 1 if digit in "一二三四五" else int(digit)
        if (which := _which_to_rate(ctx, h.id, score, None)) is not None:
            return which
        ctx.dialog.set("complaint.confirm", intent="complaint.rate", ticket=c.ticket, score=score)
        return Reply(TEXTS["confirm"].format(what=_rate_what(c, score)))

    @d.state("complaint.confirm", confirms=True)
    def confirm(ctx: Context, inbound: Inbound) -> Reply | None:
        text = (inbound.text or "").strip()
        data = dict(ctx.dialog.data)
        if NO.match(text):
            ctx.dialog.clear()
            return Reply(TEXTS["not_done"])
        if not YES.match(text):
            return None
        ctx.dialog.clear()
        slots = {"ticket": data["ticket"], "score": data.get("score"),
                 "comment": data.get("comment"), "content": data.get("content")}
        return d.run_intent(ctx, data["intent"], slots={k: v for k, v in slots.items() if v})

    @d.state("complaint.rate_score")
    def rate_score(ctx: Context, inbound: Inbound) -> Reply | None:
        text = (inbound.text or "").strip().rstrip("分")
        if not text.isdigit():
            return None
        c = by_ticket(ctx.session, ctx.dialog.data.get("ticket", ""))
        h = household_of(ctx)
        if c is None or h is None or c.household_id != h.id:
            return None
        comment = ctx.dialog.data.get("comment")
        return _ask_if_not_fixed(ctx, c, int(text), comment) or rate(ctx, c, int(text), comment)

    @d.state(LOW_SCORE, confirms=True)
    def low_score(ctx: Context, inbound: Inbound) -> Reply | None:
        """A low score that said "still broken": 1 reopens it, 2 rates and archives it."""
        text = (inbound.text or "").strip()
        data = dict(ctx.dialog.data)
        c = by_ticket(ctx.session, data.get("ticket", ""))
        h = household_of(ctx)
        if c is None or h is None or c.household_id != h.id:
            return None
        if YES.match(text):
            ctx.dialog.clear()
            if c.state != RESOLVED:
                return Reply(TEXTS["nothing_to_reopen"])
            return _reopen(ctx, c, data.get("comment") or "")
        if NO.match(text):
            ctx.dialog.clear()
            return rate(ctx, c, int(data.get("score", 1)), data.get("comment"))
        return None

    @d.intent("complaint.reopen")
    def reopen(ctx: Context, inbound: Inbound) -> Reply:
        h = require_household(ctx)
        if isinstance(h, Reply):
            return _staff_done(ctx) or h
        c = _target(ctx)
        if c is None or c.state != RESOLVED:
            return Reply(TEXTS["nothing_to_reopen"])
        said = (ctx.slots.get("content") or inbound.text or "").strip()
        ask = _confirm(ctx, "complaint.reopen", c,
                       TEXTS["reopen_describe"].format(ticket=c.ticket), content=said)
        if ask is not None:
            return ask
        return _reopen(ctx, c, said)


def _reopen(ctx: Context, c: Complaint, said: str) -> Reply:
    """Back to 处理中, and the staff who answer for it are told what the resident said."""
    event = transition(ctx.session, c, IN_PROGRESS, Actor("resident", ctx.openid),
                       f"居民反映还没解决：{_short(said, 60)}", ctx.now)
    text = TEXTS["staff_reopened"].format(ticket=c.ticket, category=c.category_label,
                                          text=_short(said, 60))
    for st in responsible_staff(ctx.session, c):
        ctx.push(st.openid or "", text, notice_key=f"ticket:{c.id}:{event.id}:staff",
                 kind="ticket_staff")
    return Reply(TEXTS["reopened"].format(ticket=c.ticket))


def _ask_if_not_fixed(ctx: Context, c: Complaint, score: int, comment: str | None) -> Reply | None:
    """评价 TS… 2 灯还是不亮: the resident says it is not fixed, which reopens a request (PRODUCT
    §4); archiving it on the score would leave nothing to reopen. Ask which they meant."""
    said = (comment or "").strip()
    if c.state != RESOLVED or not 1 <= score <= 2 or not NOT_FIXED.search(said):
        return None
    ctx.dialog.set(LOW_SCORE, ticket=c.ticket, score=score, comment=said)
    return Reply(TEXTS["low_score_not_fixed"].format(comment=_short(said, 30), score=score))


def _staff_done(ctx: Context) -> Reply | None:
    """A staff member without a household who writes like a resident rating or reopening
    (我已经处理好了TS…，杂物已清走 / 已经修好了) means 办结: offer it, or say how to write it."""
    u = ctx.understanding
    if staff_of(ctx) is None or (u is not None and u.canonical):   # a typed 评价: as before
        return None
    words = TICKET.sub(" ", ctx.inbound.text or "")
    parts = [p for p in re.split(r"[\s，,。；;！!]+", words) if p]
    note = "，".join(p for p in parts if not DONE_WORDS.match(p)) or "，".join(parts)
    return offer_resolve(ctx, note[:200])
