"""Free-text intent classification: cue scores, context adjustments, confidence."""

from __future__ import annotations

import math
import re

from .evidence import Evidence
from .lexicon import A_NOT_A, CONFIRMATION, INTENT_CUES, MEETING_TALK, NOT_ATTENDING, NOT_SIGNING_UP, RATING_WORDS
from .understanding import UNKNOWN

# Below this a message is "unknown": asking costs one message, a wrong action much more.
THRESHOLD = 0.45
_TICKET_INTENTS = ("complaint.accept", "complaint.resolve", "complaint.reject", "complaint.assign", "complaint.merge")
_STAFF_IMPERATIVES = (*_TICKET_INTENTS, "vote.open")
_MEETING_CONTEXT = re.compile(r"会|报名|参加|活动")
_MESSAGE_WORDS = re.compile(r"消息|通知|推送|提醒|短信|信息")
_UNDECIDED = re.compile(r"(去|来|参加|参会|报名|报)不\1")
_QUESTION = re.compile(r"吗|么|没有?$|呢|什么|啥|哪|几|怎么|咋|多少|是不是|有没有|伐$")
# 物业电话多少 / 垃圾几点收 / 物业费怎么交 ask for information, 楼下的花真好看 praises: naming a
# category's subject (物业, 垃圾, 停车) is no report unless something is wrong with it.
_ONLY_A_TICKET = re.compile(r"(?:编号|单号)?ts\d{8}-?\d{4}(?:呢|怎么样了?)?[?？。.!！]*", re.IGNORECASE)
_ASKS_FOR_INFO = re.compile(r"多少|几点|几号|哪天|在哪|哪里|哪儿|怎么(?:交|缴|办|弄|走|去|申请|报名|联系)|"
                            r"电话(?:是|多少|号)|电话$|号码|联系方式|上班|(?:几点|什么时候)开门|营业时间")
_PRAISE = re.compile(r"(?:真|很|好|挺|特别|蛮)(?:好看|漂亮|美|干净|不错|好)|点赞|表扬")
_SOMETHING_WRONG = re.compile(r"坏|漏|堵|停了|不亮|不通|不动|爆|裂|塌|掉|吵|臭|脏|乱|占|堆|没水|没电|断|关人|困|"
                              r"危险|着火|冒烟|积水|渗|收费不|乱收|太贵|贵了|不合理|不给|不让|没人|不管|投诉|报修|举报|反映")


def _gate(cues: tuple[tuple[re.Pattern[str], float], ...]) -> re.Pattern[str]:
    """One pattern that matches wherever any of an intent's cues does. Most messages match
    no cue of most intents: one search rules such an intent out instead of one per cue."""
    return re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in cues), re.IGNORECASE)


_GATES = {intent: _gate(cues) for intent, cues in INTENT_CUES.items()}


def cue_scores(evidence: Evidence) -> dict[str, float]:
    """Raw cue evidence per intent, before context."""
    scores: dict[str, float] = {}
    flat, negations = evidence.flat, evidence.negations
    for intent, cues in INTENT_CUES.items():
        gate = _GATES[intent]
        if not gate.search(flat) and not (negations and gate.search(negations)):
            continue
        total = sum(
            weight
            for pattern, weight in cues
            if pattern.search(evidence.flat) or (evidence.negations and pattern.search(evidence.negations))
        )
        if total:
            scores[intent] = total
    return scores


def _add(scores: dict[str, float], intent: str, amount: float, only_if_present: bool = False) -> None:
    if only_if_present and intent not in scores:
        return
    scores[intent] = scores.get(intent, 0.0) + amount


def adjust(evidence: Evidence, scores: dict[str, float]) -> dict[str, float]:
    """Context: what the entities in the message say about its intent."""
    flat = evidence.flat
    if evidence.category_weight and not (
            (_ASKS_FOR_INFO.search(flat) or _PRAISE.search(flat)) and not _SOMETHING_WRONG.search(flat)):
        _add(scores, "complaint.new", min(evidence.category_weight, 3.5))
    if evidence.tickets:
        if len(evidence.tickets) == 1 and _ONLY_A_TICKET.fullmatch(flat):
            _add(scores, "complaint.status", 3)   # a number copied from a push: how is it going?
        _add(scores, "complaint.new", -3)
        _add(scores, "complaint.status", 2.5 if _QUESTION.search(flat) else 1.5)
        for intent in ("complaint.rate", "complaint.reopen", *_TICKET_INTENTS):
            _add(scores, intent, 1, only_if_present=True)
        if len(evidence.tickets) >= 2:
            _add(scores, "complaint.merge", 1, only_if_present=True)
    if evidence.choice:
        _add(scores, "vote.cast", 3.5 if evidence.vote_context or len(flat) <= 8 else 2.5)
        _add(scores, "convention.show", -2, only_if_present=True)
        _add(scores, "vote.list", -1.5, only_if_present=True)
    elif evidence.option is not None:
        _add(scores, "vote.cast", 3)
    if evidence.option_text and not evidence.choice:
        named = evidence.vote_context or evidence.option_text.startswith(("方案", "选项"))
        _add(scores, "vote.cast", 3 if named else 1.5)
    if evidence.vote_id is not None:
        # Naming a vote asks about that one, never for the list.
        _add(scores, "vote.show", 2.5)
        _add(scores, "vote.cast", 1, only_if_present=True)
        _add(scores, "vote.list", -3, only_if_present=True)
    if evidence.score is not None and not evidence.choice:
        # 不好 / 一般 rate a result only where no problem is being described.
        _add(scores, "complaint.rate", 0.5 if evidence.category_weight else 2)
    if evidence.address:
        address = evidence.address[0]
        _add(scores, "bind", 2 if address.level == "room" else 0.5)
        if address.level == "room":
            # 住1号楼3单元202 怎么绑定 already carries what binding needs.
            _add(scores, "help", -2, only_if_present=True)
    for intent in ("meeting.signup", "meeting.cancel"):
        if evidence.meeting_id is not None or evidence.meeting_type or _MEETING_CONTEXT.search(flat):
            _add(scores, intent, 1, only_if_present=True)
    if evidence.meeting_id is not None:
        _add(scores, "meeting.list", 0.5, only_if_present=True)
    if evidence.topic:
        for intent in ("bulletin.subscribe", "bulletin.unsubscribe"):
            _add(scores, intent, 1, only_if_present=True)
    if _MESSAGE_WORDS.search(flat):
        _add(scores, "bulletin.unsubscribe", 1, only_if_present=True)
        if max(scores.get("bulletin.subscribe", 0), scores.get("bulletin.unsubscribe", 0)) >= 3:
            _add(scores, "bulletin.latest", -2, only_if_present=True)
    if not _attendance(evidence, scores):
        _meeting_rating(evidence, scores)
    if evidence.vote_id is None:
        # Opening a proposed vote names it; 确认投票 alone is a resident confirming a ballot.
        scores.pop("vote.open", None)
    if evidence.name:
        _add(scores, "bind", 2)  # 我叫王芳: a name given is part of binding
    if "meeting.cancel" in scores or "meeting.signup" in scores:
        _add(scores, "meeting.list", -1.5, only_if_present=True)
    if "meeting.cancel" in scores and scores.get("cancel"):
        _add(scores, "cancel", -2)
    if scores.get("complaint.status", 0) >= 3:
        # Asking how a report is going is not a new report, whatever it mentions.
        _add(scores, "complaint.new", -1.5, only_if_present=True)
    if "complaint.reopen" in scores:
        _add(scores, "complaint.new", -2, only_if_present=True)
        _add(scores, "complaint.rate", -2, only_if_present=True)
    if _QUESTION.search(flat):
        # Staff commands are imperatives: 有没有人受理 asks about a request, it accepts nothing.
        asked = [intent for intent in _STAFF_IMPERATIVES if intent in scores]
        for intent in asked:
            _add(scores, intent, -2.5)
        if asked:
            _add(scores, "complaint.status", 1.5)
    else:
        # A statement naming a vote is rarely a request to list votes.
        _add(scores, "vote.list", -0.5, only_if_present=True)
    return {intent: value for intent, value in scores.items() if value > 0}


def _attendance(evidence: Evidence, scores: dict[str, float]) -> bool:
    """Not going (不去开会了, 参加不了, 取消会议报名) is never a sign-up; True if it was said."""
    flat = A_NOT_A.sub(" ", evidence.flat)
    if _UNDECIDED.search(evidence.flat):
        scores.pop("meeting.signup", None)  # 参加不参加 / 去不去: still deciding
    if NOT_ATTENDING.search(flat):
        scores.pop("meeting.signup", None)
        if "meeting.cancel" not in scores and (_MEETING_CONTEXT.search(flat) or len(flat) <= 6):
            _add(scores, "meeting.cancel", 4)
        return True
    if NOT_SIGNING_UP.search(flat):
        scores.pop("meeting.signup", None)
        return True
    return False


def _meeting_rating(evidence: Evidence, scores: dict[str, float]) -> None:
    """A rating about a meeting (给恳谈会打5分) and no ticket rates the meeting, not a request."""
    if evidence.tickets or "complaint.rate" not in scores:
        return
    if evidence.meeting_id is None and not MEETING_TALK.search(evidence.flat):
        return
    explicit = RATING_WORDS.search(evidence.flat) is not None
    if not explicit and (evidence.score is None or _QUESTION.search(evidence.flat)):
        return
    scores["meeting.rate"] = scores.pop("complaint.rate") + 1.5
    for intent in ("meeting.list", "meeting.signup", "meeting.cancel"):
        _add(scores, intent, -2, only_if_present=True)


def confidence(top: float, second: float) -> float:
    """Grows with the winning evidence, shrinks when a rival is close."""
    strength = 1 - math.exp(-top / 2.5)
    margin = 0.5 + 0.5 * min(1.0, (top - second) / 2)
    return round(strength * margin, 3)


def classify(evidence: Evidence) -> tuple[str, float, str | None]:
    """(intent, confidence, best guess) for a free-text message."""
    if CONFIRMATION.fullmatch(evidence.flat):
        return UNKNOWN, 0.0, None  # 好的 / 是的 / 确认: the dialog that asked reads them
    scores = adjust(evidence, cue_scores(evidence))
    if not scores:
        return UNKNOWN, 0.0, None
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, top = ranked[0]
    rivals = [value for intent, value in ranked[1:] if intent != "greeting" or best == "greeting"]
    second = rivals[0] if rivals else 0.0
    conf = confidence(top, second)
    if conf < THRESHOLD:
        return UNKNOWN, conf, best
    return best, conf, best
