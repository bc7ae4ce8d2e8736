"""Bulletins (社区动态): residents read them (通知) and choose topics (订阅 / 退订 / 我的订阅);
staff publish them by chat (发布通知); template receipts; the unread hint on every reply."""
from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import update

from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.reply import Reply
from handlers.common import (household_of, local, resident_community, staff_community,
                             staff_community_scope, staff_of)
from models import delivery as inbox
from models.address import CN_DIGITS, AddressError, parse_address, to_int
from models.bulletins import TOPICS, Bulletin, notice_keys, set_subscription, topics_of, visible_to
from models.community import Scope, find_scope
from models.delivery import FAILED, SENT, Delivery
from notices import bulletin_jobs

TEXTS = {
    "unread_hint": "您有 {n} 条未读通知，回复“通知”查看。",
    "list_unread": "您有 {n} 条未读通知：",
    "list_recent": "最近的通知：",
    "list_empty": "最近没有新通知。\n回复“我的订阅”看看您收哪些话题的通知。",
    "list_footer": "回复数字看全文，例如：1\n回复“退订 话题”不再推送某类通知，回复“我的订阅”查看。",
    "detail": "【{topic}】{title}\n{when}\n{body}",
    "detail_footer": "回复其他数字看另一条，回复“通知”重新看列表。",
    "detail_which": "请回复通知前面的数字，例如：1\n回复“通知”重新看列表。",
    "detail_gone": "这条通知已经找不到了。回复“通知”重新看列表。",
    "pick_topic": "请回复话题的数字：\n{topics}\n{all}",
    "pick_all_sub": "回复 0 订阅全部",
    "pick_all_unsub": "回复 0 退订全部",
    "subscribed": "好的，已订阅“{topics}”的通知，有新消息会发给您。\n回复“我的订阅”查看全部。",
    "unsubscribed": "好的，以后不再给您发“{topics}”的通知。\n想恢复，回复“订阅 {first}”。",
    "subscriptions": "您收到这些话题的通知：{on}\n没有订阅：{off}\n回复“订阅 话题”或“退订 话题”修改，例如：退订 活动",
    "none": "无",
    "new_topic": "发布社区通知。请选择话题，回复数字：\n{topics}\n回复“取消”可退出。",
    "new_title": "话题：{topic}。请发送通知标题（120 字以内）。",
    "title_too_long": "标题太长了（{n} 字），请控制在 120 字以内，再发一次。",
    "new_body": "请发送通知正文（标题：{title}）。",
    "new_scope": "发给谁？\n回复 1 全社区\n或写楼栋、单元，如“3号楼”“3号楼2单元”",
    "bad_scope": "没有找到“{text}”。{why}\n回复 1 全社区，或写楼栋、单元，如“3号楼2单元”",
    "no_community": "还没有导入社区名册，暂时不能发布。",
    "preview": "请确认通知内容：\n【{topic}】{title}\n{body}\n发送范围：{scope}\n\n回复 1 确认发布\n回复 2 取消\n"
               "回复 3 作为紧急通知发布（夜间也推送）",
    "published": "已发布（编号 {id}），{scope}共 {n} 位居民会收到。",
    "publish_cancelled": "好的，通知没有发布。",
    "confirm_again": "请回复 1 确认发布，2 取消，3 紧急发布。",
}
NUMBERED = "\n".join(f"{i}. {t}" for i, t in enumerate(TOPICS, 1))
ALL_COMMUNITY = ("1", "全社区", "全部", "社区", "所有人", "所有居民", "全体居民", "全小区", "整个小区",
                 "整个社区", "全体", "大家", "所有")
# After the list: 1 / 第一条 / 第1个 / 看第2条 / 1详情 pick a notice; 详情 / 全文 alone asks which.
_ITEM = re.compile(rf"^(?:看|查看|打开)?第?\s*(?P<n>[0-9]{{1,2}}|[{CN_DIGITS}]{{1,3}})\s*(?:条|个|项|号)?"
                   r"\s*(?:的)?(?:详情|全文|内容|通知)?[。.!！]*$")
_DETAIL_WORDS = re.compile(r"^(?:看|查看)?(?:详情|全文|详细|看全文|内容|看看)[。.!！]*$")
# 发布通知 停水停电 明天停水: the topic named first is not part of the title.
_TOPIC_LEAD = re.compile(rf"^(?:{'|'.join(TOPICS)})(?:[\s:：,，、]+|$)")
YES, NO, URGENT = re.compile(r"^(1|确认|确定|发布|确认发布)$"), re.compile(r"^(2|取消|不发)$"), "3"


def _pick(text: str) -> list[str] | None:
    """Topics named by a number (0 = all) or by name in the text."""
    text = text.strip()
    if text in ("0", "全部", "所有"):
        return list(TOPICS)
    if text.isdigit() and 1 <= int(text) <= len(TOPICS):
        return [TOPICS[int(text) - 1]]
    named = [t for t in TOPICS if t in text]
    if named:
        return named
    # Part of one topic's name (停水, 安全, 公约) is enough when it fits no other.
    partial = [t for t in TOPICS if len(text) >= 2 and text in t]
    return partial if len(partial) == 1 else None


def _short(body: str) -> str:
    """A body in the list: the first 60 characters; the number after the list shows it all."""
    return body if len(body) <= 60 else body[:60] + "…"


def _item_number(text: str) -> int | None:
    match = _ITEM.match(text.strip())
    if match is None:
        return None
    try:
        return to_int(match["n"])
    except ValueError:
        return None


def register(d: Dispatcher) -> None:
    d.menu_item(60, "社区通知", "bulletin.latest")

    # Residents -------------------------------------------------------------------------
    @d.intent("bulletin.latest")
    def latest(ctx: Context, inbound: Inbound) -> Reply:
        ctx.extra["bulletin_list"] = True   # the unread hint is not added to this list
        s, openid = ctx.session, ctx.openid
        h = household_of(ctx)
        # Only the resident's own community's bulletins (staff without a home: theirs).
        community = (h.community_id if h is not None
                     else staff_community(ctx) if staff_of(ctx) is not None
                     else resident_community(ctx))
        topic = ctx.slots.get("topic")
        unread = [x for x in inbox.unread(s, openid, limit=10)
                  if not topic or f"【{topic}】" in x.body.get("text", "")]
        bulletins = [b for b in visible_to(s, h, community) if not topic or b.topic == topic]
        unread_keys = {x.notice_key for x in unread}
        recent = [b for b in bulletins if b.notice_key not in unread_keys][:max(0, 6 - len(unread))]
        if not unread and not recent:
            return Reply(TEXTS["list_empty"])
        lines, items = [], []
        if unread:
            lines.append(TEXTS["list_unread"].format(n=len(unread)))
            for x in unread:
                items.append(f"delivery:{x.id}")
                text = x.body.get("text", "").split("（回复")[0].strip()
                head, _, rest = text.partition("\n")
                rest = f"\n   {_short(rest.strip())}" if rest.strip() else ""
                lines.append(f"{len(items)}. {head}{rest}\n   {local(ctx, x.created_at)}")
        if recent:
            lines.append(TEXTS["list_recent"])
            for b in recent:
                items.append(f"bulletin:{b.id}")
                when = local(ctx, b.published_at or b.publish_at)
                lines.append(f"{len(items)}. 【{b.topic}】{b.title}（{when}）\n   {_short(b.body)}")
        inbox.mark_read(s, openid, notice_keys=[b.notice_key for b in recent],
                        ids=[x.id for x in unread])
        ctx.dialog.set("bulletin.list", items=items)   # a number now opens that notice in full
        return Reply("\n".join(lines + [TEXTS["list_footer"]]))

    @d.state("bulletin.list", quiet=True)
    def list_pick(ctx: Context, inbound: Inbound) -> Reply | None:
        items: list[str] = ctx.dialog.data.get("items", [])
        text = (inbound.text or "").strip()
        n = _item_number(text)
        if n is None and _DETAIL_WORDS.match(text):
            if len(items) != 1:
                return Reply(TEXTS["detail_which"])
            n = 1
        if n is None:
            return None   # something else: the list is left behind
        if not 1 <= n <= len(items):
            # a number the list does not have may answer something else (5 to a rating push)
            return (d.claimed_elsewhere(ctx) if text.isdigit() else None) or Reply(TEXTS["detail_which"])
        ctx.extra["bulletin_list"] = True
        return Reply(_detail(ctx, items[n - 1]) + "\n\n" + TEXTS["detail_footer"])

    def _detail(ctx: Context, item: str) -> str:
        kind, _, ident = item.partition(":")
        if kind == "delivery":
            x = ctx.session.get(Delivery, int(ident))
            if x is None or x.openid != ctx.openid:
                return TEXTS["detail_gone"]
            key_kind, _, key_id = x.notice_key.partition(":")
            if key_kind != "bulletin" or not key_id.isdigit():
                return f"{x.body.get('text', '').strip()}\n{local(ctx, x.created_at)}"
            ident = key_id
        b = ctx.session.get(Bulletin, int(ident))
        if b is None:
            return TEXTS["detail_gone"]
        return TEXTS["detail"].format(topic=b.topic, title=b.title, body=b.body,
                                      when=local(ctx, b.published_at or b.publish_at))

    def _choose(ctx: Context, on: bool) -> Reply:
        topics = _pick(str(ctx.slots.get("topic") or ""))
        if not topics:
            ctx.dialog.set("bulletin.topic_pick", on=on)
            return Reply(TEXTS["pick_topic"].format(
                topics=NUMBERED, all=TEXTS["pick_all_sub" if on else "pick_all_unsub"]))
        return _apply(ctx, topics, on)

    def _apply(ctx: Context, topics: list[str], on: bool) -> Reply:
        set_subscription(ctx.session, ctx.openid, topics, on, ctx.now)
        if not on:  # what is waiting in the inbox on these topics is no longer wanted
            inbox.mark_read(ctx.session, ctx.openid, notice_keys=notice_keys(ctx.session, topics))
        ctx.dialog.clear()
        named = "、".join(topics)
        if on:
            return Reply(TEXTS["subscribed"].format(topics=named))
        return Reply(TEXTS["unsubscribed"].format(topics=named, first=topics[0]))

    @d.intent("bulletin.subscribe")
    def subscribe(ctx: Context, inbound: Inbound) -> Reply:
        return _choose(ctx, True)

    @d.intent("bulletin.unsubscribe")
    def unsubscribe(ctx: Context, inbound: Inbound) -> Reply:
        return _choose(ctx, False)

    @d.state("bulletin.topic_pick")
    def topic_pick(ctx: Context, inbound: Inbound) -> Reply | None:
        topics = _pick(inbound.text or "")
        return None if topics is None else _apply(ctx, topics, bool(ctx.dialog.data.get("on")))

    @d.intent("bulletin.subscriptions")
    def subscriptions(ctx: Context, inbound: Inbound) -> Reply:
        mine = topics_of(ctx.session, ctx.openid)
        on = "、".join(t for t, yes in mine.items() if yes) or TEXTS["none"]
        off = "、".join(t for t, yes in mine.items() if not yes) or TEXTS["none"]
        return Reply(TEXTS["subscriptions"].format(on=on, off=off))

    # Staff: 发布通知 ---------------------------------------------------------------------
    @d.intent("bulletin.publish", staff=True)
    def publish(ctx: Context, inbound: Inbound) -> Reply:
        topic = ctx.slots.get("topic")
        title = _TOPIC_LEAD.sub("", str(ctx.slots.get("content") or "").strip()).strip()
        if topic in TOPICS and title and ctx.understanding and ctx.understanding.canonical \
                and len(title) <= 120:   # 发布通知 明天停水: the rest is the title
            ctx.dialog.set("bulletin.new.body", topic=topic, title=title)
            return Reply(TEXTS["new_body"].format(title=title))
        if topic in TOPICS:
            ctx.dialog.set("bulletin.new.title", topic=topic)
            return Reply(TEXTS["new_title"].format(topic=topic))
        ctx.dialog.set("bulletin.new.topic")
        return Reply(TEXTS["new_topic"].format(topics=NUMBERED))

    @d.state("bulletin.new.topic")
    def new_topic(ctx: Context, inbound: Inbound) -> Reply | None:
        picked = _pick(inbound.text or "")
        if not picked or len(picked) != 1:
            return Reply(TEXTS["new_topic"].format(topics=NUMBERED))
        ctx.dialog.set("bulletin.new.title", topic=picked[0])
        return Reply(TEXTS["new_title"].format(topic=picked[0]))

    @d.state("bulletin.new.title")
    def new_title(ctx: Context, inbound: Inbound) -> Reply | None:
        title = (inbound.text or "").strip()
        if len(title) > 120:
            return Reply(TEXTS["title_too_long"].format(n=len(title)))
        ctx.dialog.set("bulletin.new.body", **ctx.dialog.data, title=title)
        return Reply(TEXTS["new_body"].format(title=title))

    @d.state("bulletin.new.body")
    def new_body(ctx: Context, inbound: Inbound) -> Reply | None:
        ctx.dialog.set("bulletin.new.scope", **ctx.dialog.data, body=(inbound.text or "").strip())
        return Reply(TEXTS["new_scope"])

    @d.state("bulletin.new.scope")
    def new_scope(ctx: Context, inbound: Inbound) -> Reply | None:
        text = (inbound.text or "").strip()
        if text.rstrip("。.!！") in ALL_COMMUNITY:
            scope = staff_community_scope(ctx)   # the whole of their own community
            if scope is None:
                ctx.dialog.clear()
                return Reply(TEXTS["no_community"])
        else:
            try:
                scope = find_scope(ctx.session, parse_address(text), staff_community(ctx))
                why = "" if scope else "名册里没有这个地方。"
            except AddressError as exc:
                scope, why = None, str(exc)
            if scope is None:
                return Reply(TEXTS["bad_scope"].format(text=text, why=why))
        data = {**ctx.dialog.data, "scope_key": scope.key, "scope_label": scope.label}
        ctx.dialog.set("bulletin.new.confirm", **data)
        return Reply(TEXTS["preview"].format(topic=data["topic"], title=data["title"],
                                             body=data["body"], scope=scope.label))

    @d.state("bulletin.new.confirm", confirms=True)
    def new_confirm(ctx: Context, inbound: Inbound) -> Reply | None:
        text = (inbound.text or "").strip()
        if NO.match(text):
            ctx.dialog.clear()
            return Reply(TEXTS["publish_cancelled"])
        if not (YES.match(text) or text == URGENT):
            return Reply(TEXTS["confirm_again"])
        data = ctx.dialog.data
        ctx.dialog.clear()
        scope = Scope.from_key(data["scope_key"], data["scope_label"])
        staff = staff_of(ctx)
        tz = ctx.settings.community.tz
        b = bulletin_jobs.create(ctx.session, title=data["title"], body=data["body"],
                                 topic=data["topic"], scope=scope, now=ctx.now,
                                 urgent=text == URGENT, tz=tz,
                                 created_by=staff.name if staff else ctx.openid)
        done = bulletin_jobs.publish_in(ctx.session, b.id, ctx.now, tz)
        n = 0
        if done is not None:
            inst, ids = done
            ctx.pushed.extend(ids)   # sent after this message commits
            n = inst.recipients
        return Reply(TEXTS["published"].format(id=b.id, scope=scope.label, n=n))

    # Receipts and the unread hint --------------------------------------------------------
    @d.event("templatesendjobfinish")
    def receipt(ctx: Context, inbound: Inbound) -> Reply:
        msgid = str(inbound.raw.get("MsgID") or inbound.raw.get("MsgId") or "").strip()
        if msgid:
            ok = inbound.status.strip().lower() == "success"
            ctx.session.execute(update(Delivery).where(
                Delivery.msgid == msgid, Delivery.openid == ctx.openid).values(
                status=SENT if ok else FAILED, errmsg=None if ok else inbound.status[:200]))
        return Reply()

    def unread_hint(ctx: Context, reply: Reply) -> Reply:
        if (reply.empty or reply.articles or ctx.extra.get("bulletin_list")
                or ctx.dialog.state not in (None, "menu")):
            return reply
        n = inbox.unread_count(ctx.session, ctx.openid)
        if not n:
            return reply
        return replace(reply, text=reply.text + "\n\n" + TEXTS["unread_hint"].format(n=n))

    d.reply_hooks.append(unread_hint)
