"""Requests (民情诉求), the resident's side of filing: free text or 诉求/投诉/报修/建议 内容,
binding first without losing the text, the duplicate offer, category correction, and
photos / location attached to the request just filed.

Status, rating and reopening are in handlers/complaints_resident.py; staff commands in
handlers/complaints_staff.py; every text in handlers/complaint_texts.py."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.reply import Reply
from handlers import complaints_resident, complaints_staff
from handlers.common import household_of
from handlers.complaint_texts import TEXTS
from models.community import Household
from models import complaint_rules as rules
from models.complaint_rules import (
    Actor,
    add_supplement,
    file_complaint,
    find_duplicate,
    household_label,
    lacks_substance,
    responsible_staff,
)
from models.complaints import CATEGORIES, OPEN_STATES, Complaint, by_ticket, follow, recent_of

YES = re.compile(r"^(1|一|是|是的|对|对的|好|好的|确认|提交)[。.!！]*$")
NO = re.compile(r"^(2|二|不是|不对|新建|不)[。.!！]*$")
CATEGORY_KEYS = list(CATEGORIES)
FILING = ("complaint.ask_content", "complaint.bind_first", "complaint.duplicate")
AFTER_FILING = ("complaint.filed", "complaint.category")
# "Never mind" while being asked what the problem is: not a request's text.
CANCEL_WORDS = re.compile(r"^((那|那就|还是)?(算了|不用了|不办了|不报了|不弄了|不要了|不反映了|不投诉了|不报修了|"
                          r"不提了|不说了|没事了|没事儿?|取消)(吧|啦|呀|哈)?)+$")
# The resident says plainly that what follows is another problem, not more of the last one.
# Longest first: the first alternative that matches wins (还有一个事情 must not leave 情).
ANOTHER = re.compile(r"^(?:对了|另外还有|另外一个问题|另外一件事情?|另外一个事情?|另一个问题|还有一个问题|还有个问题|"
                     r"还有一件事情?|还有一个事情?|还有个事情?|再报一个|再反映一个|再说一个|再投诉一个|还要报一个|"
                     r"另外)(?:问题|事情|事儿|事)?")
_PUNCT = re.compile(r"[\s,，。.!！?？~～、:：;；…]+")


def _draft(ctx: Context) -> dict[str, Any]:
    """What the filing dialog carries from step to step."""
    d = ctx.dialog.data
    return {"content": d.get("content", ""), "category": d.get("category", "other"),
            "photos": list(d.get("photos", [])), "location": d.get("location")}


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _says_cancel(ctx: Context, text: str) -> bool:
    u = ctx.understanding
    return (u is not None and u.intent == "cancel") or bool(CANCEL_WORDS.match(_PUNCT.sub("", text)))


def _another_problem(text: str) -> str | None:
    """What follows "另外 / 再报一个 …", or None when the text does not start another problem."""
    m = ANOTHER.match(text.strip())
    return _PUNCT.sub(" ", text.strip()[m.end():]).strip() if m else None


def _just_filed(ctx: Context) -> Complaint | None:
    """The resident's own request filed within the attach window and still open (none without
    a household: nobody unbound has filed one, and most messages skip the query)."""
    if ctx.resident.household_id is None:
        return None
    c = recent_of(ctx.session, ctx.openid, ctx.now, rules.ATTACH_MINUTES)
    return c if c is not None and c.state in OPEN_STATES else None


def _supplement(ctx: Context, c: Complaint, text: str, key: str = "supplemented") -> Reply:
    add_supplement(ctx.session, c, Actor("resident", ctx.openid), text, ctx.now)
    ctx.dialog.set("complaint.filed", ticket=c.ticket)
    return Reply(TEXTS[key].format(ticket=c.ticket, text=_short(text.strip(), 40)))


def start_filing(ctx: Context, draft: dict[str, Any], *, check_duplicate: bool = True,
                 another: bool = False) -> Reply:
    """File the request, or first ask for binding / offer the open one nearby (a neighbour's
    only, when the resident said this is `another` problem)."""
    h = household_of(ctx)
    if h is None:
        ctx.dialog.set("complaint.bind_first", **draft)
        key = "bind_pending" if ctx.resident.status == "pending" else "bind_first"
        return Reply(TEXTS[key].format(content=_short(draft["content"], 60)))
    if check_duplicate:
        dup = find_duplicate(ctx.session, h, draft["category"], ctx.now, others_only=another)
        if dup is not None:
            ctx.dialog.set("complaint.duplicate", ticket=dup.ticket, **draft)
            key = "duplicate_own" if dup.household_id == h.id else "duplicate"
            return Reply(TEXTS[key].format(
                ticket=dup.ticket, category=dup.category_label, state=dup.state_label,
                text=_short(dup.text), new=_short(draft["content"])))
    return _file(ctx, h, draft)


def _file(ctx: Context, h: Household, draft: dict[str, Any]) -> Reply:
    c = file_complaint(ctx.session, h, ctx.openid, draft["content"], draft["category"], ctx.now,
                       ctx.settings.community.tz, photos=draft["photos"],
                       location=draft["location"])
    ctx.dialog.set("complaint.filed", ticket=c.ticket)
    _tell_staff(ctx, c)
    return Reply(TEXTS["filed"].format(ticket=c.ticket, category=c.category_label))


def _tell_staff(ctx: Context, c: Complaint) -> None:
    """【新诉求】 to the staff who answer for the household (those the 待受理提醒 goes to)."""
    text = TEXTS["staff_new"].format(ticket=c.ticket, category=c.category_label,
                                     place=household_label(ctx.session, c), text=_short(c.text, 60))
    for st in responsible_staff(ctx.session, c):
        ctx.push(st.openid or "", text, notice_key=f"ticket:{c.id}:new", kind="ticket_staff")


def register(d: Dispatcher) -> None:
    complaints_resident.register(d)
    complaints_staff.register(d)
    d.menu_item(10, TEXTS["menu_new"], "complaint.new")
    d.menu_item(20, TEXTS["menu_status"], "complaint.status")

    @d.intent("complaint.new")
    def new(ctx: Context, inbound: Inbound) -> Reply:
        slots = ctx.slots
        content = (slots.get("content") or "").strip()
        typed = ctx.understanding is None or ctx.understanding.canonical
        another = None if typed else _another_problem(inbound.text or "")
        if content and not typed:     # free text: more about the request just filed, or another one
            if another is not None:
                content = another
            elif not lacks_substance(content) and (last := _just_filed(ctx)) is not None:
                said = inbound.text or content    # as written, not normalised
                category = slots.get("category") or "other"
                if category == "other":      # details with no problem of their own (楼上602没人在家)
                    return _supplement(ctx, last, said)
                # A problem of its own (垃圾桶满了 right after 广场舞太吵, or another door of the
                # same kind): more of the same, or a new request? Ask, never guess.
                ctx.dialog.set("complaint.more_or_new", ticket=last.ticket, said=said, content=content,
                               category=category)
                return Reply(TEXTS["more_or_new"].format(ticket=last.ticket, category=last.category_label,
                                                         old=_short(last.text, 20)))
        if not content or lacks_substance(content):    # 我要投诉 / 有个事情要反映: no problem named yet
            ctx.dialog.set("complaint.ask_content", another=another is not None)
            return Reply(TEXTS["ask_content"])
        return start_filing(ctx, {"content": content, "category": slots.get("category") or "other",
                                  "photos": [], "location": None}, another=another is not None)

    @d.state("complaint.ask_content")
    def ask_content(ctx: Context, inbound: Inbound) -> Reply | None:
        u = ctx.understanding
        if u is not None and u.canonical and u.intent not in ("complaint.new", "unknown"):
            return None    # a command: the resident moved on
        text = (inbound.text or "").strip()
        if _says_cancel(ctx, text):
            ctx.dialog.clear()
            return Reply(TEXTS["filing_cancelled"])
        slots = ctx.slots
        content = (slots.get("content") or text).strip()
        if u is not None and u.intent == "complaint.new" and not slots.get("content"):
            content = ""      # 报修 / 我要投诉 again
        another = _another_problem(content)
        content = content if another is None else another
        if lacks_substance(content):
            if ctx.dialog.data.get("asked_again"):
                return None     # asked twice: whatever it is, it is not the problem's text
            ctx.dialog.set("complaint.ask_content", **{**ctx.dialog.data, "asked_again": True})
            return Reply(TEXTS["ask_content_again"])
        draft = {**_draft(ctx), "content": content, "category": slots.get("category") or "other"}
        return start_filing(ctx, draft, another=bool(ctx.dialog.data.get("another")))

    @d.state("complaint.more_or_new")
    def more_or_new(ctx: Context, inbound: Inbound) -> Reply | None:
        text, data = (inbound.text or "").strip(), dict(ctx.dialog.data)
        if YES.match(text):
            c = by_ticket(ctx.session, data.get("ticket", ""))
            if c is not None and c.state in OPEN_STATES:
                return _supplement(ctx, c, data["said"])
            text = "2"    # closed meanwhile: it can only be a new request
        if NO.match(text) or text == "2":
            ctx.dialog.clear()
            return start_filing(ctx, {"content": data["content"], "category": data["category"],
                                      "photos": [], "location": None}, another=True)
        u = ctx.understanding
        if u is not None and not u.canonical and u.intent in ("complaint.new", "unknown") \
                and not lacks_substance(text):
            # more words before answering: kept with the first ones, and the question stands
            data.update(said=f"{data['said']}；{inbound.text or text}", content=f"{data['content']}；{text}")
            ctx.dialog.set("complaint.more_or_new", **data)
            c = by_ticket(ctx.session, data.get("ticket", ""))
            if c is not None:
                return Reply(TEXTS["more_or_new"].format(ticket=c.ticket, category=c.category_label,
                                                         old=_short(c.text, 20)))
        return None

    @d.state("complaint.bind_first")
    def bind_first(ctx: Context, inbound: Inbound) -> Reply | None:
        draft = _draft(ctx)
        if _says_cancel(ctx, (inbound.text or "").strip()):
            ctx.dialog.clear()      # the kept text goes too, as the reply says
            return Reply(TEXTS["filing_cancelled"])
        if YES.match((inbound.text or "").strip()):
            if household_of(ctx) is None:
                key = "bind_pending" if ctx.resident.status == "pending" else "bind_still"
                return Reply(TEXTS[key].format(content=_short(draft["content"], 60)))
            return start_filing(ctx, draft)
        u = ctx.understanding
        if u is None or u.intent == "complaint.new":
            return None    # written again: filed afresh
        reply = d.run_understood(ctx, u)     # e.g. 绑定 …: keep the draft through it
        if ctx.dialog.state == "bind.ask":    # binding step by step: the draft rides along
            ctx.dialog.set("bind.ask", **{**ctx.dialog.data, "complaint_draft": draft})
        return _after_binding(ctx, draft, reply)

    cancel = d.intents.get("cancel")
    if cancel is not None:
        plain_cancel = cancel.handler

        def cancel_after_filing(ctx: Context, inbound: Inbound) -> Reply:
            """取消 once the request is filed withdraws nothing: say so truthfully."""
            if ctx.dialog.state in AFTER_FILING:
                ticket = ctx.dialog.data.get("ticket", "")
                ctx.dialog.clear()
                return Reply(TEXTS["cancel_after_filed"].format(ticket=ticket))
            return plain_cancel(ctx, inbound)
        d.intents["cancel"] = replace(cancel, handler=cancel_after_filing)

    inner = d.states.get("bind.ask")
    if inner is not None:
        def bind_ask(ctx: Context, inbound: Inbound) -> Reply | None:
            """The binding family's step-by-step dialog, carrying a kept request along."""
            draft = ctx.dialog.data.get("complaint_draft")
            reply = inner(ctx, inbound)
            return _after_binding(ctx, draft, reply) if draft and reply is not None else reply
        d.states["bind.ask"] = bind_ask

    @d.state("complaint.duplicate")
    def duplicate(ctx: Context, inbound: Inbound) -> Reply | None:
        text = (inbound.text or "").strip()
        draft = _draft(ctx)
        h = household_of(ctx)
        if h is None:
            return None
        if YES.match(text):
            c = by_ticket(ctx.session, ctx.dialog.data.get("ticket", ""))
            if c is not None and c.state in OPEN_STATES:
                ctx.dialog.clear()
                new = follow(ctx.session, c, ctx.openid, h.id, ctx.now)
                if draft["photos"] or draft["location"]:
                    c.photos = [*c.photos, *draft["photos"]]
                    c.location = c.location or draft["location"]
                if c.household_id == h.id and draft["content"]:   # their own: keep what they said
                    reply = _supplement(ctx, c, draft["content"], "supplemented_duplicate")
                    ctx.dialog.clear()
                    return reply
                key = "followed" if new else (
                    "already_filed" if c.openid == ctx.openid else "already_following")
                return Reply(TEXTS[key].format(ticket=c.ticket))
            return _file(ctx, h, draft)     # closed meanwhile: a new ticket after all
        if NO.match(text):
            return _file(ctx, h, draft)
        return None

    @d.state("complaint.filed", quiet=True)
    def filed(ctx: Context, inbound: Inbound) -> Reply | None:
        text = (inbound.text or "").strip()
        ticket = ctx.dialog.data.get("ticket", "")
        if _says_cancel(ctx, text):     # filed already: say so rather than "已取消"
            ctx.dialog.clear()
            return Reply(TEXTS["cancel_after_filed"].format(ticket=ticket))
        if text not in ("2", "二", "换个类别", "换类别"):
            return _more_about(ctx, inbound)
        ctx.dialog.set("complaint.category", ticket=ticket)
        choices = "\n".join(f"{i}. {CATEGORIES[k]}" for i, k in enumerate(CATEGORY_KEYS, 1))
        return Reply(TEXTS["pick_category"].format(choices=choices))

    def _more_about(ctx: Context, inbound: Inbound) -> Reply | None:
        """Free text right after filing is more about the same request, unless the NLU reads
        another intent, it is a typed command, or it starts another problem (另外 / 再报一个)."""
        u = ctx.understanding
        if u is None or u.canonical or u.intent not in ("complaint.new", "unknown"):
            return None
        text = (inbound.text or "").strip()
        c = _just_filed(ctx)
        another = _another_problem(text)
        if another is not None and lacks_substance(another):    # 再报一个: ask what it is
            ctx.dialog.set("complaint.ask_content", another=True)
            return Reply(TEXTS["ask_content"])
        if u.intent == "complaint.new":
            return None      # complaint.new decides: more of the same, or another request
        if another is not None:
            return start_filing(ctx, {"content": another, "category": ctx.slots.get("category") or "other",
                                      "photos": [], "location": None}, another=True)
        if c is None or lacks_substance(text):
            return None
        return _supplement(ctx, c, text)

    @d.state("complaint.category")
    def pick_category(ctx: Context, inbound: Inbound) -> Reply | None:
        text = (inbound.text or "").strip()
        c = by_ticket(ctx.session, ctx.dialog.data.get("ticket", ""))
        if c is None or c.openid != ctx.openid:
            return None
        key = next((k for k, v in CATEGORIES.items() if v == text or v[:2] == text), None)
        if text.isdigit() and 1 <= int(text) <= len(CATEGORY_KEYS):
            key = CATEGORY_KEYS[int(text) - 1]
        if key is None:
            return None
        ctx.dialog.set("complaint.filed", ticket=c.ticket)
        if c.state != "submitted":       # staff already took it as it was
            return Reply(TEXTS["category_unchanged"].format(ticket=c.ticket, category=c.category_label))
        c.category = key
        return Reply(TEXTS["category_changed"].format(ticket=c.ticket, category=c.category_label))

    @d.on_media("image")
    def image(ctx: Context, inbound: Inbound) -> Reply:
        photo = {"media_id": inbound.media_id, "url": inbound.pic_url}
        return _attach(ctx, photos=[photo])

    @d.on_media("location")
    def location(ctx: Context, inbound: Inbound) -> Reply:
        loc = inbound.location
        where = {"lat": loc.latitude, "lng": loc.longitude, "label": loc.label} if loc else None
        return _attach(ctx, location=where)


def _after_binding(ctx: Context, draft: dict[str, Any], reply: Reply) -> Reply:
    """Once the binding dialog is over, keep the request and offer to file it."""
    if ctx.dialog.state is not None:
        return reply
    ctx.dialog.set("complaint.bind_first", **draft)
    if household_of(ctx) is None or not reply.text:
        return reply
    return Reply(reply.text + TEXTS["bind_then_file"].format(content=_short(draft["content"], 60)))


def _attach(ctx: Context, photos: list[dict[str, str]] | None = None,
            location: dict[str, Any] | None = None) -> Reply:
    """Attach to the request being filed or just filed, or start filing with it."""
    kind = "photo" if photos else "location"
    if ctx.dialog.state in FILING:
        draft = _draft(ctx)
        draft["photos"] += photos or []
        draft["location"] = location or draft["location"]
        ctx.dialog.set(ctx.dialog.state, **{**ctx.dialog.data, **draft})
        if ctx.dialog.state == "complaint.ask_content":
            return Reply(TEXTS[f"{kind}_first"])
        return Reply(TEXTS["media_kept_" + ctx.dialog.state.split(".")[1]])
    c = recent_of(ctx.session, ctx.openid, ctx.now, rules.ATTACH_MINUTES)
    if c is not None and c.state in OPEN_STATES:
        if photos:
            c.photos = [*c.photos, *photos]
        if location:
            c.location = location
        return Reply(TEXTS[f"{kind}_added"].format(ticket=c.ticket))
    ctx.dialog.set("complaint.ask_content", content="", category="other", photos=photos or [],
                   location=location)
    return Reply(TEXTS[f"{kind}_first"])
