"""The NLU object: canonical grammar first, then free-text classification and slots."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from models.address import CN_DIGITS, to_int

from .classify import classify
from .evidence import Evidence, gather
from .grammar import match_command
from .normalise import chinese_punctuation, flatten, normalise, standardise
from .slots import clean_name, find_assignee, find_name, find_phone_last4, find_tickets
from .timeparse import When, find_when
from .understanding import UNKNOWN, Understanding

COMMUNITY_DICTIONARY = Path(__file__).with_name("community_dict.txt")

_COMPLAINT_LEAD = re.compile(
    r"^(?:你好|您好)?[,，\s]*(?:我(?:要|想)?|想)?(?:投诉|报修|反映|举报|建议)(?:一下|个事|一个问题|个问题|下)?[:：,，\s]*"
)
_EMPTY_CONTENT = re.compile(r"(?:一下|个|一个)?(?:问题|事情?|情况)?(?:吧|啊|呀)?")
_CODE = re.compile(
    rf"(?:签到码|码)\s*(?:是|为)?\s*([0-9A-Za-z]{{3,8}}|[{CN_DIGITS}]{{3,8}})|(?<![0-9])([0-9]{{4,8}})(?![0-9])"
)
_AFTER_TICKET_FILLER = re.compile(r"^[\s,，:：]*(?:已经|已)?")
_BIND_WORDS = re.compile(
    r"帮我|请|麻烦|我要|我想|绑定|绑一下|绑下|认证|登记|一下|我叫|叫|姓名|名字|手机|电话|尾号|后四位|号码|是|住在?|我家|[0-9]+|[,，。:：]"
)
# Canonical commands are parsed before any date: only look for one where there may be one.
_TIME_HINT = re.compile(r"[点时:：日号月天周]|星期|礼拜|早上|上午|下午|晚上|今晚|明晚")
_REASON = re.compile(r"(?:因为|原因是?|理由是?|由于)[:：\s]*(.+)$")


def _loose_name(text: str) -> str | None:
    """A name standing alone between spaces, as in 绑一下 7栋2单元1103 吴敏 0921."""
    text = _BIND_WORDS.sub(" ", text)
    for chunk in text.split():
        if 2 <= len(chunk) <= 4 and re.fullmatch(r"[\u4e00-\u9fff·]+", chunk):
            return clean_name(chunk)
    return None


def _fill(intent: str, evidence: Evidence, text: str) -> dict[str, Any]:
    """The slots an intent's handler needs, from what the message offers."""
    slots: dict[str, Any] = {}
    ticket = evidence.tickets[0][0] if evidence.tickets else None
    if ticket and intent.startswith("complaint.") and intent not in ("complaint.new", "complaint.todo"):
        slots["ticket"] = ticket
    when = evidence.when.slots() if evidence.when else {}
    if intent == "bind":
        masked = text
        if evidence.address:
            slots["address"] = evidence.address[0].as_dict()
            _, start, end = evidence.address
            masked = text[:start] + " " * (end - start) + text[end:]
        # The address blanked out: 301叫张伟 reads as a name after 叫.
        if name := evidence.name or find_name(masked):
            slots["name"] = name
        if phone := find_phone_last4(masked, allow_bare=True):
            slots["phone_last4"] = phone
        if "name" not in slots and (name := _loose_name(masked)):
            slots["name"] = name
    elif intent == "complaint.new":
        content = _COMPLAINT_LEAD.sub("", text)
        if not _EMPTY_CONTENT.fullmatch(content):
            # 我要投诉 says nothing yet: no content, so the handler asks what happened.
            slots["content"] = chinese_punctuation(content)
            slots["category"] = evidence.category
        if evidence.address:
            slots["address"] = evidence.address[0].as_dict()
    elif intent == "complaint.rate":
        if evidence.score is not None:
            slots["score"] = evidence.score
        comment = text
        for _, start, end in evidence.tickets:
            comment = comment.replace(text[start:end], " ")
        comment = comment.strip(" ,，")
        if comment:
            slots["comment"] = comment
    elif intent == "complaint.reopen":
        slots["content"] = text
    elif intent in ("vote.cast", "vote.show", "vote.open"):
        if evidence.vote_id is not None:
            slots["vote_id"] = evidence.vote_id
        if intent == "vote.cast":
            if evidence.option_text:
                slots["option_text"] = evidence.option_text
            elif evidence.choice:
                slots["choice"] = evidence.choice
            if evidence.option is not None:
                slots["option"] = evidence.option
    elif intent in ("meeting.list", "meeting.signup", "meeting.cancel", "meeting.create"):
        if evidence.meeting_id is not None and intent != "meeting.create":
            slots["meeting_id"] = evidence.meeting_id
        if evidence.meeting_type:
            slots["meeting_type"] = evidence.meeting_type
        slots.update(when)
        if evidence.span:
            # 下周有会吗: a range, not a day (a `date` slot would pick meetings on Monday only).
            slots["date_from"], slots["date_to"] = (day.isoformat() for day in evidence.span)
    elif intent == "meeting.rate":
        if evidence.meeting_id is not None:
            slots["meeting_id"] = evidence.meeting_id
        if evidence.meeting_type:
            slots["meeting_type"] = evidence.meeting_type
        if evidence.score is not None:
            slots["score"] = evidence.score
        slots["comment"] = text
    elif intent == "meeting.checkin":
        if evidence.meeting_id is not None:
            slots["meeting_id"] = evidence.meeting_id
        code = _CODE.search(re.sub(r"(?:会议|第)\s*[0-9]+\s*号?", " ", text))
        if code:
            value = code[1] or code[2]
            if not value.isascii():
                value = "".join(str(to_int(ch)) for ch in value)
            slots["code"] = value.upper()
    elif intent in ("bulletin.latest", "bulletin.subscribe", "bulletin.unsubscribe", "bulletin.publish"):
        if evidence.topic:
            slots["topic"] = evidence.topic
        if intent == "bulletin.publish":
            slots["content"] = text
    elif intent == "convention.show" and evidence.address:
        slots["address"] = evidence.address[0].as_dict()
    elif intent == "complaint.assign":
        if assignee := find_assignee(text):
            slots["assignee"] = assignee
    elif intent in ("complaint.resolve", "complaint.reject") and evidence.tickets:
        _, _, end = evidence.tickets[0]
        key = "note" if intent == "complaint.resolve" else "reason"
        reason = _REASON.search(text)
        tail = reason[1] if reason else _AFTER_TICKET_FILLER.sub("", text[end:]).strip(" ,，")
        if tail:
            slots[key] = tail
    elif intent == "complaint.merge" and len(evidence.tickets) >= 2:
        slots["target"] = evidence.tickets[1][0]
    elif intent == "vote.create":
        slots["title"] = text
    return slots


class NLU:
    """Understands one resident or staff message; warm() once, then understand() often."""

    def __init__(self, extra_dictionary: str | None = None) -> None:
        self._extra_dictionary = extra_dictionary
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Load jieba and the community dictionary (≈0.5 s); safe to call again."""
        if self._tokenizer is not None:
            return
        with self._lock:
            if self._tokenizer is not None:
                return
            from .tokenizer import CompactTokenizer  # deferred: jieba is heavy

            tokenizer = CompactTokenizer()  # jieba's, with ≈ 25 MB less dictionary in memory
            tokenizer.initialize()
            tokenizer.load_userdict(str(COMMUNITY_DICTIONARY))
            if self._extra_dictionary:
                tokenizer.load_userdict(self._extra_dictionary)
            tokenizer.lcut("楼道灯坏了")  # touch the caches once
            self._tokenizer = tokenizer

    def tokenize(self, text: str) -> list[str]:
        """jieba tokens of the text with the community dictionary."""
        self.warm()
        return self._tokenizer.lcut(text)

    def understand(self, text: str, now: datetime | None = None) -> Understanding:
        """Intent and slots of one message; `now` resolves dates (Asia/Shanghai)."""
        normalised = normalise(text)
        if not flatten(normalised):
            return Understanding(UNKNOWN, {}, 0.0, False, normalised)
        command = match_command(normalised, now)
        if command is not None:
            intent, slots, canonical = command
            if "when" not in slots and _TIME_HINT.search(normalised):
                _add_time(slots, find_when(_without_tickets(normalised), now), intent)
            return Understanding(intent, slots, 1.0 if canonical else 0.8, canonical, normalised)
        standard = standardise(normalised)
        evidence = gather(standard, self.tokenize(standard), now)
        intent, conf, guess = classify(evidence)
        if intent == UNKNOWN:
            slots: dict[str, Any] = {"guess": guess} if guess else {}
            if re.fullmatch(r"[0-9]{1,3}", evidence.flat):
                slots["number"] = int(evidence.flat)
        else:
            slots = _fill(intent, evidence, normalised)
        _add_time(slots, evidence.when, intent)
        return Understanding(intent, slots, conf, False, normalised)


def _add_time(slots: dict[str, Any], when: When | None, intent: str) -> None:
    """A date or time in any message: dialogs that asked for one read `when` whatever the intent."""
    if when is None:
        return
    found = when.slots()
    # Elsewhere only the moment itself: `date` / `weekday` filter meetings and mean nothing else.
    keys = found if intent == UNKNOWN else ("when",)
    for key in keys:
        if key in found:
            slots.setdefault(key, found[key])


def _without_tickets(text: str) -> str:
    for _, start, end in find_tickets(text):
        text = text[:start] + " " * (end - start) + text[end:]
    return text


_shared: NLU | None = None
_shared_lock = threading.Lock()


def get_nlu() -> NLU:
    """The process-wide NLU (not warmed: call warm() at start-up)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = NLU()
    return _shared
