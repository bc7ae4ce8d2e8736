"""Handler family: binding a WeChat user to a household, profile, unbinding, staff review."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from bot import accounts
from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.nlu.slots import clean_name
from bot.reply import Reply
from handlers.common import staff_of
from models import authz
from models.address import Address, AddressError, find_address, parse_address
from models.community import Community, Household, households_matching
from models.people import (
    REQUEST_PENDING,
    BindAttempt,
    BindingRequest,
    count_pending,
    decide,
    pending_requests,
    rate_limited,
    roster_entry_of,
    roster_match,
    roster_of,
    try_bind,
    unbind,
)

EXAMPLE = "绑定 3号楼2单元301 张三 5678"
TEXTS = {
    "ask_address": "请告诉我您家的住址，例如：3号楼2单元301\n（回复“取消”可退出）",
    "ask_room": "请写到室号，例如：3号楼2单元301\n（回复“取消”可退出）",
    "ask_name": "请告诉我您的姓名（和社区名册上的一样），例如：张三\n（回复“取消”可退出）",
    "ask_phone": "请告诉我您手机号的后四位，例如：5678\n（回复“取消”可退出）",
    "not_understood": "没看懂。",
    "which_household": "有几户都是“{label}”，您家是哪一户？请回复数字：\n{numbered}\n（回复“取消”可退出）",
    "unknown_household": "没有找到“{label}”这一户。请检查楼号、单元和室号，按这个样子再发一次：\n"
                         f"{EXAMPLE}\n如果地址没错，请联系社区工作人员。",
    "verified": "绑定成功！您已绑定：{label}。\n现在您可以：\n1. 直接说要反映的问题，比如“楼道灯坏了”\n"
                "2. 回复“表决”参与楼道表决\n3. 回复“会议”报名社区会议\n回复“我的信息”可查看绑定。",
    "pending": "已收到您的绑定申请：{label}，{name}。\n名册上没有对上您的姓名和手机尾号，"
               "已转社区工作人员审核（待审核），审核后会通知您。\n回复“我的信息”可查看进度。",
    "already": "您已绑定：{label}。如需换绑，请先回复“解绑”。",
    "limited": "这一户的绑定尝试次数太多了。为保护住户信息，请一小时后再试，或直接联系社区工作人员。",
    "profile": "姓名：{name}\n住址：{label}\n状态：{status}\n手机：{phone}{head}\n{next}",
    "profile_next_verified": "如需解除绑定，回复“解绑”。",
    "profile_next_pending": "工作人员审核后会通知您。如填错了，可重新发送：" + EXAMPLE,
    "status_verified": "已认证",
    "status_pending": "待审核",
    "head": "\n身份：楼道长",
    "unbound": "您还没有绑定住址。回复：" + EXAMPLE + "\n（姓名和手机后四位要和社区名册上的一样）",
    "unbind_done": "已解除绑定（{label}）。以后想再绑定，回复：" + EXAMPLE,
    "unbind_describe": "解除住址绑定",
    # Staff side
    "review_none": "现在没有待审核的绑定申请。",
    "review_head": "待审核的绑定申请（共 {total} 条）：",
    "review_item": "{n}. {label} {name}（手机尾号{last4}）\n   名册上这一户：{roster}",
    "review_roster_none": "没有登记",
    "review_foot": "回复“通过 1”批准；回复“拒绝 1 原因”拒绝；回复“取消”结束。",
    "review_bad_number": "没有第 {n} 条。请回复列表里的编号，如“通过 1”；回复“审核”重新查看。",
    "review_done_before": "第 {n} 条已经处理过了。回复“审核”查看最新列表。",
    "review_approved": "已通过第 {n} 条：{label} {name}，已通知居民。",
    "review_rejected": "已拒绝第 {n} 条：{label} {name}（原因：{reason}），已通知居民。",
    "review_left": "还有 {left} 条待审核，回复“审核”查看。",
    "review_all_done": "待审核的申请都处理完了。",
    "reject_default_reason": "信息与社区名册核对不上",
    "push_approved": "您的绑定申请已通过：{label}。\n现在您可以直接说要反映的问题，或回复“表决”“会议”。"
                     "回复“我的信息”可查看绑定。",
    "push_staff_new": "新的绑定申请待审核：{label} {name}（名册上没有对上）。回复“审核”处理。",
    "push_rejected": "您的绑定申请没有通过：{label}。\n原因：{reason}\n如有疑问请联系社区工作人员，"
                     "也可以重新发送：" + EXAMPLE,
}

_NAME_CUE = re.compile(r"(?:我叫|名字叫|名字是|姓名是?|姓名为|户主是|(?:^|(?<=[\s,，。]))叫)[:： ]?"
                       r"(?P<name>[\u4e00-\u9fff·]{2,4}?)(?=$|[\s,，。、;；]|手机|电话|尾号|后四位|后4位|[0-9])")
_BARE_NAME = re.compile(r"^(?:我叫|我是|姓名)?[:： ]?(?P<name>[\u4e00-\u9fff·]{2,4})$")
_NOT_NAMES = {"取消", "帮助", "你好", "绑定", "业主", "租户", "居民", "好的", "不是", "算了"}
_PHONE_CUE = re.compile(r"(?:尾号|后四位|后4位|末四位|手机号?|电话)\s*(?:是|为|:|：)?\s*(?P<p>[0-9]{4})(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_BARE_FOUR = re.compile(r"^(?:尾号|后四位)?\s*(?P<p>[0-9]{4})$")
_DECISION = re.compile(r"^\s*(?P<verb>通过|同意|批准|拒绝|驳回|不通过)\s*第?\s*(?P<n>[0-9]+)\s*条?\s*(?P<reason>.*)$")


def _t(key: str, **kw: Any) -> str:
    return TEXTS[key].format(**kw)


def find_name(text: str, bare: bool) -> str | None:
    match = _NAME_CUE.search(text) or (_BARE_NAME.match(text.strip()) if bare else None)
    if match and match["name"] not in _NOT_NAMES:
        return match["name"]
    return None


def find_last4(text: str, bare: bool) -> str | None:
    """Last four digits: after 尾号/手机, from a whole mobile number, or alone when asked."""
    match = _PHONE_CUE.search(text)
    if match:
        return match["p"]
    mobile = _MOBILE.search(text)
    if mobile:
        return mobile.group()[-4:]   # the full number is used for nothing else
    match = _BARE_FOUR.match(text.strip()) if bare else None
    return match["p"] if match else None


def _gather(ctx: Context, text: str, asking: str | None) -> dict[str, Any]:
    """What this message says about address, name and phone (NLU slots, then our own look)."""
    slots = ctx.slots if ctx.understanding and ctx.understanding.intent == "bind" else {}
    got: dict[str, Any] = {}
    if slots.get("address"):
        got["address"] = slots["address"]
    else:
        found = find_address(text)
        if found:
            got["address"] = found[0].as_dict()
        elif asking == "address":
            try:
                got["address"] = parse_address(text).as_dict()
            except AddressError as exc:
                got["address_error"] = exc.message
    name = clean_name(slots.get("name") or find_name(text, bare=asking == "name"))
    if name:
        got["name"] = name
    last4 = slots.get("phone_last4") or find_last4(text, bare=asking in ("phone", "name"))
    if last4:
        got["phone_last4"] = str(last4)
    return got


def _address(data: dict[str, Any]) -> Address | None:
    a = data.get("address") or {}
    if not a:
        return None
    return Address(a.get("point"), a.get("building"), a.get("unit"), a.get("room"))


def _ask(ctx: Context, data: dict[str, Any], asking: str, prefix: str = "") -> Reply:
    ctx.dialog.set("bind.ask", **{**data, "asking": asking})
    key = {"room": "ask_room"}.get(asking, f"ask_{asking}")
    return Reply(prefix + TEXTS[key])


def _proceed(ctx: Context, data: dict[str, Any]) -> Reply:
    """Ask for the next missing piece, or bind with all three."""
    address = _address(data)
    if address is None:
        return _ask(ctx, data, "address")
    if address.level != "room":
        return _ask(ctx, {**data, "address": None}, "room")
    household = _chosen(ctx, data)
    if household is None:
        options = households_matching(ctx.session, address, accounts.binding_community(ctx))
        if not options:
            ctx.dialog.clear()
            return Reply(_t("unknown_household", label=address.label))
        # The same building, unit and room in several 居民点 or communities: the roster's
        # name and phone may settle which; otherwise ask.
        household = options[0] if len(options) == 1 else _settled_by_roster(ctx, data, options)
        if household is None:
            return _ask_which(ctx, data, address, options)
    if not data.get("name"):
        return _ask(ctx, data, "name")
    if not data.get("phone_last4"):
        return _ask(ctx, data, "phone")
    ctx.dialog.clear()
    if rate_limited(ctx.session, ctx.openid, household.id, ctx.now):
        return Reply(TEXTS["limited"])
    request = try_bind(ctx.session, ctx.resident, household.id, data["name"], data["phone_last4"], ctx.now)
    if request is None:
        return Reply(_t("verified", label=household.label))
    for st in authz.staff_who_can(ctx.session, "binding.review", household.id):
        ctx.push(st.openid or "", _t("push_staff_new", label=household.label, name=data["name"]),
                 notice_key=f"binding:{request.id}:new", kind="binding")
    return Reply(_t("pending", label=household.label, name=data["name"]))


def _settled_by_roster(ctx: Context, data: dict[str, Any], options: list[Household]) -> Household | None:
    """Of several households with this address, the one whose roster has this name and phone.

    A probe of every candidate that matches none counts as a failed attempt on each, so the
    shared address is no way round the limit on guessing names and phone digits."""
    name, last4 = data.get("name"), data.get("phone_last4")
    if not (name and last4):
        return None
    if any(rate_limited(ctx.session, ctx.openid, h.id, ctx.now) for h in options):
        return None   # asked which one; the pick then meets the limit as usual
    matched = [h for h in options if roster_match(ctx.session, h.id, name, last4)]
    if not matched:
        ctx.session.add_all(BindAttempt(openid=ctx.openid, household_id=h.id, ok=False, created_at=ctx.now)
                            for h in options)
    return matched[0] if len(matched) == 1 else None


def _chosen(ctx: Context, data: dict[str, Any]) -> Household | None:
    hid = data.get("household_id")
    return ctx.session.get(Household, hid) if hid in data.get("choices", []) else None


def _ask_which(ctx: Context, data: dict[str, Any], address: Address, options: list[Household]) -> Reply:
    labels = [h.label for h in options]
    if len(set(labels)) < len(labels):   # the same 居民点 name in two communities: say which
        names = {c.id: c.name for c in ctx.session.scalars(select(Community))}
        labels = [f"{names.get(h.community_id, '')}{h.label}" for h in options]
    numbered = "\n".join(f"{n}. {label}" for n, label in enumerate(labels, 1))
    ctx.dialog.set("bind.ask", **{**data, "asking": "which", "choices": [h.id for h in options]})
    return Reply(_t("which_household", label=address.label, numbered=numbered))


def _which(ctx: Context, text: str) -> Reply | None:
    """The answer to "which of these households": a number picks one."""
    choices = ctx.dialog.data.get("choices", [])
    text = text.strip()
    if not (text.isdigit() and 1 <= int(text) <= len(choices)):
        return None
    data = {k: v for k, v in ctx.dialog.data.items() if k != "asking"}
    return _proceed(ctx, {**data, "household_id": choices[int(text) - 1]})


def _label_of(ctx: Context, household_id: int | None) -> str:
    h = ctx.session.get(Household, household_id) if household_id else None
    return h.label if h else ""


def register(d: Dispatcher) -> None:
    """Adds this family's intents, states and events."""

    @d.intent("bind")
    def bind(ctx: Context, inbound: Inbound) -> Reply:
        if ctx.resident.verified:
            return Reply(_t("already", label=_label_of(ctx, ctx.resident.household_id)))
        got = _gather(ctx, inbound.text or "", None)
        got.pop("address_error", None)
        return _proceed(ctx, got)

    @d.state("bind.ask")
    def bind_ask(ctx: Context, inbound: Inbound) -> Reply | None:
        if ctx.dialog.data.get("asking") == "which":
            picked = _which(ctx, inbound.text or "")
            if picked is not None:
                return picked
        u = ctx.understanding
        if u is not None and u.intent not in ("bind", "unknown") and u.confidence >= 0.6:
            return None   # the resident moved on to something else
        data = {k: v for k, v in ctx.dialog.data.items() if k != "asking"}
        asking = ctx.dialog.data.get("asking")
        got = _gather(ctx, inbound.text or "", asking)
        error = got.pop("address_error", None)
        if not got:
            prefix = (error + "\n") if error else TEXTS["not_understood"]
            if asking == "which":   # the same numbered question again
                return Reply(prefix + _proceed(ctx, data).text)
            return _ask(ctx, data, asking or "address", prefix)
        if "address" in got:   # a new address: an earlier pick among households no longer holds
            data = {k: v for k, v in data.items() if k not in ("household_id", "choices")}
        return _proceed(ctx, {**data, **got})

    @d.intent("profile")
    def profile(ctx: Context, inbound: Inbound) -> Reply:
        r = ctx.resident
        if r.household_id is None or r.status not in ("verified", "pending"):
            return Reply(TEXTS["unbound"])
        if r.verified:
            entry = roster_entry_of(ctx.session, r)
            phone = entry.phone_masked if entry and entry.phone_masked else "未登记"
            status, nxt = TEXTS["status_verified"], TEXTS["profile_next_verified"]
        else:
            req = ctx.session.scalars(select(BindingRequest)
                                      .where(BindingRequest.openid == r.openid,
                                             BindingRequest.status == REQUEST_PENDING)
                                      .order_by(BindingRequest.id.desc())).first()
            phone = f"尾号{req.phone_last4}" if req is not None else "未登记"
            status, nxt = TEXTS["status_pending"], TEXTS["profile_next_pending"]
        return Reply(_t("profile", name=r.name or "", label=_label_of(ctx, r.household_id), status=status,
                        phone=phone, head=TEXTS["head"] if r.stairwell_head else "", next=nxt))

    @d.intent("unbind", irreversible=True, describe=lambda ctx: TEXTS["unbind_describe"])
    def unbind_(ctx: Context, inbound: Inbound) -> Reply:
        r = ctx.resident
        if r.household_id is None:
            return Reply(TEXTS["unbound"])
        label = _label_of(ctx, r.household_id)
        unbind(ctx.session, r, ctx.now)
        return Reply(_t("unbind_done", label=label))

    @d.intent("binding.review", staff=True)
    def review(ctx: Context, inbound: Inbound) -> Reply:
        staff = staff_of(ctx)
        assert staff is not None   # the dispatcher checked can() already
        scope = authz.scope_of(ctx.session, staff)
        requests = pending_requests(ctx.session, scope)
        if not requests:
            ctx.dialog.clear()
            return Reply(TEXTS["review_none"])
        lines = [_t("review_head", total=count_pending(ctx.session, scope))]
        for n, req in enumerate(requests, 1):
            roster = "、".join(f"{e.name} {e.phone_masked}".strip() for e in roster_of(ctx.session, req.household_id))
            lines.append(_t("review_item", n=n, label=_label_of(ctx, req.household_id), name=req.name,
                            last4=req.phone_last4, roster=roster or TEXTS["review_roster_none"]))
        lines.append(TEXTS["review_foot"])
        ctx.dialog.set("binding.review", ids=[r.id for r in requests])
        return Reply("\n".join(lines))

    @d.state("binding.review", quiet=True)
    def review_decide(ctx: Context, inbound: Inbound) -> Reply | None:
        match = _DECISION.match(inbound.text or "")
        if match is None:
            return None
        staff = staff_of(ctx)
        if not authz.can(staff, "binding.review"):
            ctx.dialog.clear()
            return Reply(d.texts["staff_only"])
        assert staff is not None
        ids: list[int] = ctx.dialog.data.get("ids", [])
        n = int(match["n"])
        if not 1 <= n <= len(ids):
            return Reply(_t("review_bad_number", n=n))
        if not authz.covers(ctx.session, staff, ctx.session.get(BindingRequest, ids[n - 1]).household_id):
            return Reply(d.texts["staff_only"])
        approve = match["verb"] in ("通过", "同意", "批准")
        reason = None if approve else (match["reason"].strip() or TEXTS["reject_default_reason"])
        req = decide(ctx.session, ids[n - 1], staff, approve, reason, ctx.now)
        if req is None:
            return Reply(_t("review_done_before", n=n))
        label = _label_of(ctx, req.household_id)
        decision = "approved" if approve else "rejected"
        push = _t("push_approved", label=label) if approve else _t("push_rejected", label=label, reason=reason)
        ctx.push(req.openid, push, notice_key=f"binding:{req.id}:{decision}", kind="binding")
        text = (_t("review_approved", n=n, label=label, name=req.name) if approve
                else _t("review_rejected", n=n, label=label, name=req.name, reason=reason))
        left = count_pending(ctx.session, authz.scope_of(ctx.session, staff))
        tail = _t("review_left", left=left) if left else TEXTS["review_all_done"]
        if not left:
            ctx.dialog.clear()
        return Reply(text + "\n" + tail)

    @d.intent("binding.decide", staff=True)
    def decide_outside_list(ctx: Context, inbound: Inbound) -> Reply:
        """通过 N / 拒绝 N 原因 typed without opening 审核 first: N counts in the same list."""
        staff = staff_of(ctx)
        assert staff is not None   # the dispatcher checked can() already
        requests = pending_requests(ctx.session, authz.scope_of(ctx.session, staff))
        if not requests:
            return Reply(TEXTS["review_none"])
        ctx.dialog.set("binding.review", ids=[r.id for r in requests])
        return review_decide(ctx, inbound) or review(ctx, inbound)

    d.menu_item(80, "绑定住址 / 我的信息", "profile")
