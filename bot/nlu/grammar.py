"""Canonical commands (PRODUCT §3 and the staff commands): exact forms, no guessing.

A message is canonical when it is a command word alone or followed by well-formed
arguments; anything else falls through to free-text classification.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from models.address import AddressError, find_address, parse_address, to_int

from .slots import (
    N,
    choice_from_token,
    find_choice,
    find_meeting_type,
    find_option,
    find_tickets,
    find_topic,
    infer_category,
)
from .normalise import chinese_punctuation
from .grammar_staff import cluster_meeting
from .timeparse import find_when

Slots = dict[str, Any]
# A parser returns (intent, slots, canonical) or None when the arguments do not fit.
Parsed = tuple[str, Slots, bool] | None
Parser = Callable[[str, str, Any], Parsed]

_ID = re.compile(rf"^第?\s*(?P<n>{N})\s*号?$")
_STATUS_WORDS = re.compile(r"进度|进展|怎么样|咋样|处理得|结果|到哪|还没|怎么还|有人管|动静|下文|回音|回复了")
_PARTICLE_START = re.compile(r"^(?:的|了|过|吗|呢|啥|什么|怎么|咋|吧|是|有|进度)")
# A custom ballot option as votes name them (方案A, 加装电梯): short, no sentence in it.
_OPTION_LABEL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9·\-]{1,12}")
_NOT_AN_OPTION = re.compile(r"^(?:我|你|他|她|这|那)|吗|呢|么|吧|怎|咋|啥|什么|哪|如何|为何|知道|清楚|可以|不会")
_MEETING_RATING = re.compile(
    rf"^第?\s*(?P<a>{N})\s*(?:号|分|星|颗星)?(?:\s*[\s,，]\s*第?(?P<b>{N})\s*(?:分|星|颗星)?)?(?=$|[\s,，])(?P<comment>.*)$"
)
_DECISION = re.compile(
    rf"^第?\s*(?P<n>{N})(?!\s*(?:次|遍|天|年|月|日|岁|元|块|个?人|户|栋|幢|号楼|楼|单元|室|点|分|周|星期))"
    rf"\s*(?:条|个|号)?(?:申请)?(?=$|[\s,，:：]|(?<=[0-9条个号请])[\u4e00-\u9fff])(?P<why>.*)$"
)
# 取消会议报名 5 / 撤销会议的报名 5 are 取消报名 5.
_ALIASES = ((re.compile(r"^(?:取消|撤销|撤回)\s*(?:会议|参会|开会)?\s*的?\s*报名"), "取消报名"),)


def _number(token: str) -> int | None:
    match = _ID.match(token.strip())
    if not match:
        return None
    try:
        return to_int(match["n"])
    except ValueError:
        return None


def _bare(intent: str) -> Parser:
    def parse(rest: str, word: str, now: Any) -> Parsed:
        return (intent, {}, True) if not rest else None

    return parse


def _content(intent: str) -> Parser:
    def parse(rest: str, word: str, now: Any) -> Parsed:
        if not rest:
            return intent, {}, True
        if _PARTICLE_START.match(rest) or _STATUS_WORDS.search(rest):
            return None
        category, weight = infer_category(rest)
        if weight == 0 and word == "报修":
            category = "repair"
        slots: Slots = {"content": chinese_punctuation(rest), "category": category}
        found = find_address(rest)
        if found:
            slots["address"] = found[0].as_dict()
        return intent, slots, True

    return parse


def _bind(rest: str, word: str, now: Any) -> Parsed:
    if not rest:
        return "bind", {}, True
    found = find_address(rest)
    slots: Slots = {}
    remainder = rest
    if found:
        address, start, end = found
        slots["address"] = address.as_dict()
        remainder = rest[:start] + " " + rest[end:]
    else:
        first = rest.split()[0]
        try:
            slots["address"] = parse_address(first).as_dict()
            remainder = rest[len(first) :]
        except AddressError as error:
            slots["address_error"] = error.message
    phone = re.search(r"(?<![0-9])([0-9]{4})(?![0-9])", remainder)
    if phone:
        slots["phone_last4"] = phone[1]
        remainder = remainder.replace(phone[1], " ")
    remainder = re.sub(r"姓名|名字|我叫|手机尾号|尾号|手机|电话|后四位", " ", remainder)
    name = re.search(r"[\u4e00-\u9fff·]{2,5}", remainder)
    if name:
        slots["name"] = name[0]
    return "bind", slots, True


def _ticket_then(intent: str, key: str | None) -> Parser:
    def parse(rest: str, word: str, now: Any) -> Parsed:
        if not rest:
            return intent, {}, True
        tickets = find_tickets(rest)
        if not tickets or tickets[0][1] > 0:
            return None
        ticket, _, end = tickets[0]
        tail = rest[end:].strip(" ,，:：")
        if key is None:
            return (intent, {"ticket": ticket}, True) if not tail else None
        slots: Slots = {"ticket": ticket}
        if tail:
            if key == "assignee":
                tail = re.sub(r"^(?:给|转给|交给|派给)", "", tail).strip()
            if key == "target":
                more = find_tickets(tail)
                if not more:
                    return None
                tail = more[0][0]
            slots[key] = tail
        return intent, slots, True

    return parse


def _rate(rest: str, word: str, now: Any) -> Parsed:
    if not rest:
        return "complaint.rate", {}, True
    tickets = find_tickets(rest)
    slots: Slots = {}
    tail = rest
    if tickets and tickets[0][1] == 0:
        slots["ticket"] = tickets[0][0]
        tail = rest[tickets[0][2] :].strip()
    score = re.match(rf"^(?P<n>{N})\s*(?:分|星|颗星)?(?:\s+|[,，]|$)", tail)
    if score:
        value = _number(score["n"])
        if value is not None and 1 <= value <= 5:
            slots["score"] = value
            tail = tail[score.end() :].strip()
    if not slots:
        return None
    if tail:
        slots["comment"] = tail.strip(" ,，")
    return "complaint.rate", slots, True


def _vote_list_or_show(rest: str, word: str, now: Any) -> Parsed:
    if not rest:
        return "vote.list", {}, True
    number = _number(rest)
    return ("vote.show", {"vote_id": number}, True) if number is not None else None


def _vote_cast(rest: str, word: str, now: Any) -> Parsed:
    if not rest:
        return "vote.list", {}, True
    match = re.match(r"^第?\s*(?P<id>[0-9]{1,4}|[一二三四五六七八九十百]{1,4})\s*号?\s*(?P<arg>.*)$", rest)
    if not match:
        choice, option = choice_from_token(rest)
        return ("vote.cast", {"choice": choice}, False) if choice else None
    vote_id = _number(match["id"])
    arg = match["arg"].strip()
    if not arg:
        return "vote.cast", {"vote_id": vote_id}, True
    choice, option = choice_from_token(arg)
    if choice is None and option is None:
        # 投票 5 方案A: a vote's own option words; a sentence (投票 5 我家同意) is free text.
        if not _OPTION_LABEL.fullmatch(arg) or _NOT_AN_OPTION.search(arg):
            return None
        if find_choice(arg, True) or find_option(arg) is not None:
            return None
        return "vote.cast", {"vote_id": vote_id, "option_text": arg}, True
    slots: Slots = {"vote_id": vote_id}
    if choice:
        slots["choice"] = choice
    if option is not None:
        slots["option"] = option
    return "vote.cast", slots, True


def _rate_meeting(rest: str, word: str, now: Any) -> Parsed:
    """评价会议 [编号] 分数 [评语]: one number is the score (1–5), two are the meeting and the score."""
    if not rest:
        return "meeting.rate", {}, True
    match = _MEETING_RATING.match(rest)
    if not match:
        return None
    first, second = _number(match["a"]), _number(match["b"]) if match["b"] else None
    slots: Slots = {}
    if second is not None:
        if first is None:
            return None
        # Two numbers are the meeting and the score, even out of range: the handler says 1–5.
        slots = {"meeting_id": first, "score": second}
    elif first is not None:
        # A lone number above 5 cannot be a score: it names the meeting to rate.
        slots = {"score": first} if 1 <= first <= 5 else {"meeting_id": first}
    else:
        return None
    comment = match["comment"].strip(" ,，")
    if comment:
        slots["comment"] = comment
    return "meeting.rate", slots, True


def _with_id(intent: str, key: str) -> Parser:
    def parse(rest: str, word: str, now: Any) -> Parsed:
        if not rest:
            return intent, {}, True
        number = _number(rest)
        return (intent, {key: number}, True) if number is not None else None

    return parse


def _checkin(rest: str, word: str, now: Any) -> Parsed:
    if not rest:
        return "meeting.checkin", {}, True
    parts = rest.split()
    if len(parts) == 1 and re.fullmatch(r"[0-9]+", parts[0]):
        key = "code" if len(parts[0]) >= 4 else "meeting_id"
        return "meeting.checkin", {key: parts[0] if key == "code" else int(parts[0])}, True
    if len(parts) == 2 and (meeting := _number(parts[0])) is not None and re.fullmatch(r"[0-9A-Za-z]{3,8}", parts[1]):
        return "meeting.checkin", {"meeting_id": meeting, "code": parts[1].upper()}, True
    return None


def _topic(intent: str) -> Parser:
    def parse(rest: str, word: str, now: Any) -> Parsed:
        if not rest:
            return intent, {}, True
        if re.fullmatch(r"全部|所有|都|所有的|全部的|全部消息", rest):
            return intent, {"topic": "全部"}, True
        topic = find_topic(rest)
        return (intent, {"topic": topic}, True) if topic and len(rest) <= 8 else None

    return parse


def _latest(rest: str, word: str, now: Any) -> Parsed:
    if not rest:
        return "bulletin.latest", {}, True
    if rest.startswith(("我", "一声", "一下")):
        return None  # 通知我停水 asks to be told: free text decides
    topic = find_topic(rest)
    return ("bulletin.latest", {"topic": topic}, True) if topic and len(rest) <= 6 else None


def _review(rest: str, word: str, now: Any) -> Parsed:
    if not rest:
        return "binding.review", {}, True
    match = re.match(rf"^(?P<id>{N})\s*(?P<d>通过|同意|批准|拒绝|驳回|不通过)?\s*(?P<why>.*)$", rest)
    if not match or (number := _number(match["id"])) is None:
        return None
    slots: Slots = {"request_id": number}
    if match["d"]:
        slots["decision"] = "approve" if match["d"] in ("通过", "同意", "批准") else "reject"
    if match["why"]:
        slots["reason"] = match["why"].strip()
    return "binding.review", slots, True


def _decide(rest: str, word: str, now: Any) -> Parsed:
    """通过 2 / 拒绝 3 信息不符: a staff decision on the n-th pending binding request."""
    match = _DECISION.match(rest)
    if not match or (number := _number(match["n"])) is None:
        return None  # a bare 通过 / 拒绝 is a reply the dialog reads itself
    approve = word in ("通过", "批准")
    slots: Slots = {"number": number, "decision": "approve" if approve else "reject"}
    if tail := match["why"].strip(" ,，:："):
        slots["reason" if not approve else "note"] = tail
    return "binding.decide", slots, True


def _reject(rest: str, word: str, now: Any) -> Parsed:
    """驳回 TS… 原因 rejects a request; 驳回 3 原因 (no ticket) a pending binding."""
    return _ticket_then("complaint.reject", "reason")(rest, word, now) or (_decide(rest, word, now) if rest else None)


def _free(intent: str, key: str) -> Parser:
    def parse(rest: str, word: str, now: Any) -> Parsed:
        slots: Slots = {}
        if rest:
            slots[key] = rest
            if intent == "bulletin.publish" and (topic := find_topic(rest)):
                slots["topic"] = topic
            if intent == "meeting.create":
                if meeting_type := find_meeting_type(rest):
                    slots["meeting_type"] = meeting_type
                if when := find_when(rest, now):
                    slots.update(when.slots())
        return intent, slots, True

    return parse


COMMANDS: dict[str, Parser] = {
    "帮助": _bare("help"),
    "菜单": _bare("help"),
    "help": _bare("help"),
    "?": _bare("help"),
    "你好": _bare("greeting"),
    "您好": _bare("greeting"),
    "取消": _bare("cancel"),
    "绑定": _bind,
    "解绑": _bare("unbind"),
    "解除绑定": _bare("unbind"),
    "我的信息": _bare("profile"),
    "诉求": _content("complaint.new"),
    "投诉": _content("complaint.new"),
    "报修": _content("complaint.new"),
    "建议": _content("complaint.new"),
    "反映": _content("complaint.new"),
    "我的诉求": _bare("complaint.status"),
    "查询": _ticket_then("complaint.status", None),
    "进度": _ticket_then("complaint.status", None),
    "评价": _rate,
    "表决": _vote_list_or_show,
    "投票": _vote_cast,
    "公约": _bare("convention.show"),
    "会议": _with_id("meeting.list", "meeting_id"),
    "报名": _with_id("meeting.signup", "meeting_id"),
    "取消报名": _with_id("meeting.cancel", "meeting_id"),
    "评价会议": _rate_meeting,
    "会议评价": _rate_meeting,
    "签到": _checkin,
    "通知": _latest,
    "订阅": _topic("bulletin.subscribe"),
    "退订": _topic("bulletin.unsubscribe"),
    "取消订阅": _topic("bulletin.unsubscribe"),
    "我的订阅": _bare("bulletin.subscriptions"),
    "受理": _ticket_then("complaint.accept", None),
    "办结": _ticket_then("complaint.resolve", "note"),
    "驳回": _reject,
    "转办": _ticket_then("complaint.assign", "assignee"),
    "合并": _ticket_then("complaint.merge", "target"),
    "待办": _bare("complaint.todo"),
    "转恳谈会": cluster_meeting,
    "转会议": cluster_meeting,
    "审核": _review,
    "通过": _decide,
    "批准": _decide,
    "拒绝": _decide,
    "不通过": _decide,
    "发布通知": _free("bulletin.publish", "content"),
    "发起表决": _free("vote.create", "title"),
    "发起投票": _free("vote.create", "title"),
    "提议表决": _free("vote.create", "title"),
    "确认表决": _with_id("vote.open", "vote_id"),
    "开启表决": _with_id("vote.open", "vote_id"),
    "创建会议": _free("meeting.create", "title"),
    "统计": _free("stats", "query"),
}

_COMMAND = re.compile(
    r"^(?P<word>"
    + "|".join(re.escape(word) for word in sorted(COMMANDS, key=len, reverse=True))
    + r")[\s:：,，]*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


def match_command(text: str, now: Any = None) -> Parsed:
    """(intent, slots, canonical) when the text is a command; None for free text."""
    for alias, word in _ALIASES:
        text = alias.sub(word, text, count=1)
    match = _COMMAND.match(text)
    if not match:
        return None
    word = match["word"].lower()
    rest = match["rest"].strip()
    return COMMANDS[word](rest, word, now)
