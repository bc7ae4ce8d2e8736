"""dispatch(ctx) -> Reply: events, dialog states, then intents; first match wins.

Handler families register themselves on a Dispatcher; nothing here knows Flask.
Order: events → always-available 帮助/取消 → the active dialog state → the understood
intent (with a confirmation step for irreversible intents inferred from free text)
→ a short menu that asks instead of guessing.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot.context import Context
from bot.inbound import Inbound
from bot.reply import Reply

log = logging.getLogger(__name__)

Handler = Callable[[Context, Inbound], Reply]
StateHandler = Callable[[Context, Inbound], "Reply | None"]  # None: not for this state
Hook = Callable[[Context, Reply], Reply]

ALWAYS = ("help", "cancel")  # work in every dialog state
# What "您是要……吗？" says for an intent registered without its own describe=: never the
# intent's internal name.
LABELS = {
    "bulletin.publish": "发布通知", "stats": "查看统计", "binding.review": "审核绑定申请",
    "binding.decide": "处理绑定申请", "vote.open": "开启这项表决", "vote.create": "发起表决",
    "meeting.create": "创建会议", "complaint.todo": "查看待办", "complaint.accept": "受理诉求",
    "complaint.resolve": "办结诉求", "complaint.reject": "驳回诉求", "complaint.assign": "转办诉求",
    "complaint.merge": "合并诉求", "complaint.cluster_meeting": "把热点问题转为恳谈会",
    "meeting.checkin": "会议签到", "meeting.outcome": "发布会议结果",
}


class Understands(Protocol):
    def understand(self, text: str, now: Any = None) -> Any: ...


@dataclass(frozen=True)
class IntentSpec:
    name: str
    handler: Handler
    staff: bool = False
    irreversible: bool = False
    describe: Callable[[Context], str] | None = None  # for "您是要……吗？"


@dataclass(frozen=True)
class MenuItem:
    order: int
    label: str
    intent: str


class Dispatcher:
    def __init__(self, nlu: Understands):
        self.nlu = nlu
        self.intents: dict[str, IntentSpec] = {}
        self.states: dict[str, StateHandler] = {}
        self.quiet_states: set[str] = set()
        self.confirm_states: set[str] = set()
        self.fallbacks: list[StateHandler] = []
        self.events: dict[str, Handler] = {}
        self.media: dict[str, Handler] = {}
        self.menu: list[MenuItem] = []
        self.reply_hooks: list[Hook] = []
        self.authorize: Callable[[Context, str], bool] = lambda ctx, intent: False
        # The answer to a staff command the sender may not give (a resident, or a role without it).
        self.refuse: Callable[[Context, str], Reply] = lambda ctx, intent: Reply(self.texts["staff_only"])
        self.texts: dict[str, str] = {}

    # Registration ----------------------------------------------------------------------
    def intent(self, name: str, *, staff: bool = False, irreversible: bool = False,
               describe: Callable[[Context], str] | None = None) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.intents[name] = IntentSpec(name, fn, staff, irreversible, describe)
            return fn
        return register

    def state(self, name: str, *, quiet: bool = False,
              confirms: bool = False) -> Callable[[StateHandler], StateHandler]:
        """`quiet`: a state that only keeps a list or a just-finished step open for follow-ups
        (the menu, a filed request): when it expires nothing was left half done, so the
        resident is not told that "the last step timed out". `confirms`: a "您是要……吗？"
        question; 取消 there means "don't", so the answer says nothing was done."""
        def register(fn: StateHandler) -> StateHandler:
            self.states[name] = fn
            if quiet:
                self.quiet_states.add(name)
            if confirms:
                self.confirm_states.add(name)
            return fn
        return register

    def event(self, name: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.events[name] = fn
            return fn
        return register

    def on_media(self, msg_type: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.media[msg_type] = fn
            return fn
        return register

    def fallback(self, fn: StateHandler) -> StateHandler:
        """Asked, in order, before the "didn't understand" menu; the first reply wins."""
        self.fallbacks.append(fn)
        return fn

    def claimed_elsewhere(self, ctx: Context) -> Reply | None:
        """For a state that does not take this message but would rather not lose it (a number
        its list does not have): a fallback's reply as if no dialog were open, or None with
        the dialog left as it was."""
        state, data = ctx.dialog.state, dict(ctx.dialog.data)
        ctx.dialog.clear()
        for fallback in self.fallbacks:
            reply = fallback(ctx, ctx.inbound)
            if reply is not None:
                return reply
        if state is not None:
            ctx.dialog.set(state, **data)
        return None

    def menu_item(self, order: int, label: str, intent: str) -> None:
        self.menu.append(MenuItem(order, label, intent))
        self.menu.sort(key=lambda m: m.order)

    # Dispatch --------------------------------------------------------------------------
    def understand_early(self, inbound: Inbound, now: Any) -> dict[str, Any]:
        """The NLU needs only the text and the clock: run it before the caller opens its
        transaction, so the database's write lock is not held while it runs."""
        if inbound.msg_type == "event" or not inbound.is_textual:
            return {}
        return {"understood": (inbound.text or "", self.nlu.understand(inbound.text or "", now))}

    def dispatch(self, ctx: Context) -> Reply:
        reply = self._route(ctx, ctx.inbound)
        for hook in self.reply_hooks:
            reply = hook(ctx, reply)
        return reply

    def _route(self, ctx: Context, inbound: Inbound) -> Reply:
        if inbound.msg_type == "event":
            handler = self.events.get(inbound.event or "")
            return handler(ctx, inbound) if handler else Reply()
        if inbound.msg_type == "voice" and not inbound.is_textual:
            return Reply(self.texts["voice_unrecognised"])
        if not inbound.is_textual:
            handler = self.media.get(inbound.msg_type)
            if handler is None and inbound.msg_type == "shortvideo":
                handler = self.media.get("video")
            return handler(ctx, inbound) if handler else Reply(self.texts["media_unhandled"])
        return self.route_text(ctx, inbound)

    def route_text(self, ctx: Context, inbound: Inbound) -> Reply:
        text = inbound.text or ""
        early = ctx.extra.pop("understood", None)   # (text, understanding) from before the transaction
        understanding = early[1] if early and early[0] == text else self.nlu.understand(text, ctx.now)
        ctx.understanding = understanding
        prefix = ""
        if ctx.dialog.timed_out and ctx.dialog.timed_out not in self.quiet_states:
            prefix = self.texts["dialog_timed_out"] + "\n"
        if understanding.intent in ALWAYS and understanding.canonical:
            return self._with_prefix(prefix, self.run_intent(ctx, understanding.intent))
        if ctx.dialog.state:
            handler = self.states.get(ctx.dialog.state)
            if handler is None:
                ctx.dialog.clear()
            else:
                reply = handler(ctx, inbound)
                if reply is not None:
                    return reply
                was = ctx.dialog.state
                ctx.dialog.clear()  # the resident moved on to something else
                if understanding.intent == "cancel" and was != "menu":
                    # 算了不弄了 in a dialog: it was cancelled; in a confirmation, nothing was done
                    return Reply(self.texts["confirm_cancelled" if was in self.confirm_states else "cancel"])
        return self._with_prefix(prefix, self.run_understood(ctx, understanding))

    def run_understood(self, ctx: Context, understanding: Any) -> Reply:
        spec = self.intents.get(understanding.intent)
        if spec is None:
            return self.unknown(ctx)
        if spec.staff and not self.authorize(ctx, spec.name):
            if not understanding.canonical:
                # A resident's free text read as a staff command (没人来修啊，说办结了) was
                # misread: ask what they meant rather than refuse a command they never gave.
                return self.unknown(ctx)
            return self.refuse(ctx, spec.name)
        # Free text that would do something irreversible, or act as staff, is confirmed
        # first; a typed command (canonical) runs at once.
        if (spec.irreversible or spec.staff) and not understanding.canonical:
            return self.ask_confirmation(ctx, spec)
        return self.run_intent(ctx, understanding.intent)

    def run_intent(self, ctx: Context, name: str, slots: dict[str, Any] | None = None) -> Reply:
        """Run one intent's handler, after the one authorisation check for staff intents."""
        spec = self.intents.get(name)
        if spec is None:
            return self.unknown(ctx)
        if slots is not None and ctx.understanding is not None:
            ctx.understanding = replace(ctx.understanding, intent=name, slots=slots,
                                        canonical=True)
        if spec.staff and not self.authorize(ctx, name):
            log.info("staff intent %s refused for %s", name, ctx.openid)
            return self.refuse(ctx, name)
        return spec.handler(ctx, ctx.inbound)

    def ask_confirmation(self, ctx: Context, spec: IntentSpec) -> Reply:
        what = spec.describe(ctx) if spec.describe else LABELS.get(spec.name, "办理这件事")
        ctx.dialog.set("confirm", intent=spec.name, slots=ctx.slots)
        return Reply(self.texts["confirm"].format(what=what))

    def unknown(self, ctx: Context) -> Reply:
        for fallback in self.fallbacks:
            reply = fallback(ctx, ctx.inbound)
            if reply is not None:
                return reply
        ctx.dialog.set("menu")
        return Reply(self.texts["unknown"] + "\n" + self.menu_text())

    def menu_text(self) -> str:
        lines = [f"{i}. {item.label}" for i, item in enumerate(self.available_menu(), 1)]
        return "\n".join(lines + [self.texts["menu_footer"]])

    def available_menu(self) -> list[MenuItem]:
        return [m for m in self.menu if m.intent in self.intents]

    @staticmethod
    def _with_prefix(prefix: str, reply: Reply) -> Reply:
        if not prefix or not reply.text:
            return reply
        return replace(reply, text=prefix + reply.text)
