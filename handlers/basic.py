"""Help, greeting, cancel, the numbered menu, confirmation, and the account events."""
from __future__ import annotations

import re

from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.reply import Reply
from handlers.common import community_name, staff_of
from models.community import Household

TEXTS = {
    "welcome": "欢迎关注{community}！我是社区小助手，您可以在这里反映问题、参与楼道表决、报名会议、看社区通知。\n"
               "先绑定住址：回复“绑定 楼号单元室号 姓名 手机后四位”，\n例如：绑定 3号楼2单元301 张三 5678",
    "welcome_back": "欢迎回来！回复“帮助”看看能做什么。",
    "welcome_back_bound": "欢迎回来！您已绑定：{label}，不用再绑定。\n"
                          "直接说您的事就行，比如“楼道灯坏了”；回复“帮助”看看能做什么。",
    "welcome_back_pending": "欢迎回来！您的绑定申请（{label}）还在审核，审核后会通知您。\n"
                            "回复“我的信息”查看进度，回复“帮助”看看能做什么。",
    "help": "您好，我是{community}小助手。回复数字，或直接说您的事：",
    "help_bind": "绑定住址：绑定 3号楼2单元301 张三 5678",
    "greeting": "您好！我是{community}小助手，有什么可以帮您？",
    "thanks": "不客气！还有事随时说，回复“帮助”看看能做什么。",
    "goodbye": "再见！有事随时来找我。",
    "staff_help": "工作人员可以发：\n{commands}",
    "acknowledged": "好的。还有事随时说，回复“帮助”看看能做什么。",
    "cancel": "好的，已取消。还有别的事吗？回复“帮助”看看能做什么。",
    "cancel_nothing": "现在没有进行中的操作。回复“帮助”看看能做什么。",
    "unknown": "抱歉，没太明白您的意思。您可以回复数字：",
    "menu_footer": "也可以直接说您的事，比如“楼道灯坏了”。",
    "confirm": "您是要{what}吗？\n回复 1 确认\n回复 2 取消",
    "confirm_cancelled": "好的，没有办理，一切照旧。还有别的事吗？",
    "staff_only": "这个操作需要工作人员权限。如需帮助，请回复“帮助”。",
    "role_lacks": "{role}不能{what}，这需要{roles}来办。请联系他们，或回复“帮助”看看您能用的命令。",
    "voice_unrecognised": "没听清您的语音，请再说一遍，或者打字告诉我。",
    "media_unhandled": "收到了。如果是要反映问题，请用文字说说是什么情况，比如“3号楼楼道灯坏了”。",
    "dialog_timed_out": "（上一步操作已超时，已为您重新开始。）",
}

YES = re.compile(r"^(1|一|确认|确定|是|是的|对|对的|好|好的|可以|行|嗯|没错|同意办理)[。.!！]*$")
# A thank-you or an "OK" closes a conversation: a short answer, not the whole menu again.
THANKS = re.compile(r"谢|辛苦")
GOODBYE = re.compile(r"再见|拜拜|回头见|晚安")
# 好的 / 嗯 / 没事了 with nothing open: the conversation is over, not misunderstood.
BARE_OK = re.compile(r"^(?:好|好的|好吧|好嘞|嗯|嗯嗯|哦|噢|行|行的|可以|ok|okay|没事了?|没事儿|没有了|没了|"
                     r"我?知道了|明白了|晓得了)[了啦呀哈吧的。.!！~～\s]*$", re.IGNORECASE)
# What staff can type, by intent: 帮助 lists those the staff member's role allows.
STAFF_COMMANDS = (
    ("complaint.todo", "待办：待处理的诉求"),
    ("complaint.accept", "受理 编号"),
    ("complaint.assign", "转办 编号 姓名"),
    ("complaint.resolve", "办结 编号 说明"),
    ("complaint.reject", "驳回 编号 原因"),
    ("complaint.merge", "合并 编号 编号"),
    ("complaint.cluster_meeting", "转恳谈会 热点编号 时间 地点"),
    ("binding.review", "审核：绑定申请"),
    ("bulletin.publish", "发布通知"),
    ("vote.create", "发起表决"),
    ("vote.open", "确认表决 编号"),
    ("vote.create", "延长表决 编号 时间"),
    ("vote.create", "取消表决 编号"),
    ("meeting.create", "创建会议"),
    ("stats", "统计"),
)
ACKNOWLEDGED = re.compile(r"知道了|明白了|晓得了|收到|懂了")
BALLOT_WORD = re.compile(r"^(同意|反对|弃权)(?:的|吧|啊)?[。.!！]*$")
NO = re.compile(r"^(2|二|不|不是|不对|不要|不用|否|算了|取消|不取消|别取消|不要取消|先不|先不了)[。.!！]*$")


def _t(ctx: Context, key: str) -> str:
    return TEXTS[key].format(community=community_name(ctx))


def _welcome(ctx: Context) -> str:
    """A new follower learns how to bind; one who comes back still bound is told where."""
    r = ctx.resident
    h = ctx.session.get(Household, r.household_id) if r.household_id is not None else None
    if h is not None and r.status == "verified":
        return TEXTS["welcome_back_bound"].format(label=h.label)
    if h is not None and r.status == "pending":
        return TEXTS["welcome_back_pending"].format(label=h.label)
    return _t(ctx, "welcome")


def register(d: Dispatcher) -> None:
    d.texts.update(TEXTS)

    @d.intent("help")
    def help_(ctx: Context, inbound: Inbound) -> Reply:
        ctx.dialog.set("menu")
        text = _t(ctx, "help") + "\n" + d.menu_text()
        if staff_of(ctx) is not None:
            commands = [f"· {words}" for intent, words in STAFF_COMMANDS
                        if intent in d.intents and d.authorize(ctx, intent)]
            return Reply(text + "\n" + TEXTS["staff_help"].format(commands="\n".join(commands)))
        return Reply(text + "\n" + TEXTS["help_bind"])

    @d.intent("greeting")
    def greeting(ctx: Context, inbound: Inbound) -> Reply:
        text = inbound.text or ""
        for words, key in ((THANKS, "thanks"), (GOODBYE, "goodbye"), (ACKNOWLEDGED, "acknowledged")):
            if words.search(text):
                if ctx.dialog.state == "menu":
                    ctx.dialog.clear()  # no menu on screen any more: a later "1" picks nothing
                return Reply(TEXTS[key])
        ctx.dialog.set("menu")
        return Reply(_t(ctx, "greeting") + "\n" + d.menu_text())

    @d.fallback
    def bare_ok(ctx: Context, inbound: Inbound) -> Reply | None:
        """好的 / 没事了 with no question open: a short answer, not "didn't understand"."""
        if ctx.dialog.state in (None, "menu") and BARE_OK.match((inbound.text or "").strip()):
            ctx.dialog.clear()
            return Reply(TEXTS["acknowledged"])
        return None

    @d.intent("cancel")
    def cancel(ctx: Context, inbound: Inbound) -> Reply:
        state = ctx.dialog.state
        ctx.dialog.clear()
        if state in (None, "menu"):
            return Reply(TEXTS["cancel_nothing"])
        # 取消 answering "您是要取消报名吗？" keeps the sign-up: say nothing was done
        return Reply(TEXTS["confirm_cancelled" if state in d.confirm_states else "cancel"])

    @d.state("menu", quiet=True)
    def menu_choice(ctx: Context, inbound: Inbound) -> Reply | None:
        text = (inbound.text or "").strip()
        items = d.available_menu()
        if text.isdigit() and 1 <= int(text) <= len(items):
            ctx.dialog.clear()
            return d.run_intent(ctx, items[int(text) - 1].intent, slots={})
        return None

    @d.state("confirm", confirms=True)
    def confirm(ctx: Context, inbound: Inbound) -> Reply | None:
        text = (inbound.text or "").strip()
        intent, slots = ctx.dialog.data.get("intent", ""), ctx.dialog.data.get("slots", {})
        choice = BALLOT_WORD.match(text)
        if intent == "vote.cast" and choice:
            # "您是要……投“同意”票吗？" answered 同意 (or 反对): the ballot as now said
            ctx.dialog.clear()
            return d.run_intent(ctx, intent, slots={**slots, "choice": choice[1], "option": None})
        if YES.match(text):
            ctx.dialog.clear()
            return d.run_intent(ctx, intent, slots=slots)
        if NO.match(text):
            ctx.dialog.clear()
            return Reply(TEXTS["confirm_cancelled"])
        return None

    @d.event("subscribe")
    def subscribe(ctx: Context, inbound: Inbound) -> Reply:
        ctx.resident.followed = True
        ctx.resident.followed_at = ctx.now
        ctx.resident.unfollowed_at = None
        return Reply(_welcome(ctx))

    @d.event("unsubscribe")
    def unsubscribe(ctx: Context, inbound: Inbound) -> Reply:
        # No reply reaches a user who left; pushes stop because the sender checks `followed`.
        ctx.resident.followed = False
        ctx.resident.unfollowed_at = ctx.now
        ctx.resident.cs_allowance = 0
        ctx.dialog.clear()
        return Reply()

    @d.event("scan")
    def scan(ctx: Context, inbound: Inbound) -> Reply:
        return Reply(TEXTS["welcome_back"])

    @d.event("click")
    def click(ctx: Context, inbound: Inbound) -> Reply:
        intent = ctx.settings.wechat.menu.get(inbound.event_key)
        if intent is None:
            return d.unknown(ctx)
        ctx.dialog.clear()
        return d.run_intent(ctx, intent, slots={})

    for silent in ("view", "location", "view_miniprogram", "masssendjobfinish",
                   "subscribe_msg_popup_event", "subscribe_msg_sent_event"):
        d.events.setdefault(silent, lambda ctx, inbound: Reply())

    d.menu_item(90, "使用帮助", "help")
