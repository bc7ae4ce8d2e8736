"""Everything one message offers the classifier: tokens, negations and entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from models.address import Address, find_address

from .normalise import flatten, is_punct
from .slots import (
    find_choice,
    find_meeting_id,
    find_meeting_type,
    find_name,
    find_option,
    find_option_text,
    find_score,
    find_tickets,
    find_topic,
    find_vote_id,
    infer_category,
    looks_like_name,
)
from .timeparse import When, find_span, find_when

NEGATORS = frozenset("不 没 没有 不是 并不 并没有 别 不要 不用 不太 不大 不怎么 毫不 从不 未 无 甭 勿 不会".split())
# Degree words between a negator and what it negates: 不是很满意, 没那么好.
_NTH_VOTE = re.compile(r"第\s*(\d{1,4})\s*号(?!会|楼)")
_DEGREE = frozenset("很 太 怎么 是 大 那么 特别 非常 完全 都 也 再 太过 十分 咋 还 那个".split())
_DEGREE_PREFIX = re.compile(r"^(?:很|太|非常|特别|十分|那么|怎么|挺|蛮)")
_VOTE_WORDS = ("投票", "表决", "公约", "投", "票", "议题")
_NAME_HINT = re.compile(r"叫|名字|姓名")


def negated_phrases(tokens: list[str]) -> list[str]:
    """Negations spelled out over jieba tokens: [不是, 很, 满意] → 不满意."""
    phrases = []
    for index, token in enumerate(tokens):
        if token not in NEGATORS:
            continue
        stem = "没" if token.startswith("没") or token in ("未", "无", "并没有") else "不"
        look = index + 1
        while look < len(tokens) and tokens[look] in _DEGREE:
            look += 1
        if look < len(tokens) and not is_punct(tokens[look]) and look - index <= 3:
            # The dictionary has words like 很满意: 不是 + 很满意 still negates 满意.
            phrases.append(stem + (_DEGREE_PREFIX.sub("", tokens[look]) or tokens[look]))
    return phrases


@dataclass
class Evidence:
    """A normalised message with what was found in it."""

    text: str
    tokens: list[str]
    flat: str
    negations: str
    cue_text: str
    tickets: list[tuple[str, int, int]] = field(default_factory=list)
    address: tuple[Address, int, int] | None = None
    when: When | None = None
    span: tuple[date, date] | None = None
    name: str | None = None
    option_text: str | None = None
    vote_id: int | None = None
    meeting_id: int | None = None
    choice: str | None = None
    option: int | None = None
    score: int | None = None
    topic: str | None = None
    category: str = "other"
    category_weight: float = 0.0
    meeting_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def vote_context(self) -> bool:
        return self.vote_id is not None or any(word in self.flat for word in _VOTE_WORDS)


def gather(text: str, tokens: list[str], now: datetime | None) -> Evidence:
    """Run every extractor once; the classifier and the slot filler share the result."""
    words = [token for token in tokens if not is_punct(token)]
    flat = flatten(text)
    negations = negated_phrases(words)
    # Spelled-out negations are matched too, so that cue patterns such as 不满意 see them.
    joined = "|".join(negations)
    cue_text = flat + ("|" + joined if joined else "")
    evidence = Evidence(text=text, tokens=words, flat=flat, negations=joined, cue_text=cue_text)
    evidence.tickets = find_tickets(text)
    masked = text
    for _, start, end in evidence.tickets:
        masked = masked[:start] + " " * (end - start) + masked[end:]
    evidence.address = find_address(masked)
    if evidence.address:
        _, start, end = evidence.address
        masked = masked[:start] + " " * (end - start) + masked[end:]
    evidence.when = find_when(masked, now)
    if evidence.when is None:
        evidence.span = find_span(masked, now)
    evidence.vote_id = find_vote_id(masked)
    evidence.meeting_id = find_meeting_id(masked)
    evidence.choice = find_choice(cue_text, evidence.vote_context, flat)
    if evidence.vote_id is None and evidence.choice and (nth := _NTH_VOTE.search(masked)):
        evidence.vote_id = int(nth[1])   # 第2号那个我家同意: a ballot names its vote as 第N号
    evidence.option = find_option(flatten(masked)) if evidence.vote_context else None
    evidence.option_text = find_option_text(flatten(masked))
    if _NAME_HINT.search(flat) and (name := find_name(masked)) and looks_like_name(name):
        evidence.name = name
    evidence.score = find_score(cue_text)
    evidence.topic = find_topic(flat)
    evidence.category, evidence.category_weight = infer_category(flatten(masked))
    evidence.meeting_type = find_meeting_type(flat)
    return evidence
