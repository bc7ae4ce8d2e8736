"""Scoring the NLU against a labelled corpus (used by bench/nlu.py and the tests)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .engine import NLU
from .timeparse import SHANGHAI

# The corpus's dates (明天, 下周三 …) are written against this clock: a Friday morning.
CORPUS_NOW = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)


@dataclass
class Miss:
    """One utterance the NLU got (partly) wrong."""

    text: str
    expected_intent: str
    intent: str
    expected_slots: dict[str, Any]
    slots: dict[str, Any]


@dataclass
class Report:
    """Intent and slot accuracy of one split."""

    split: str
    total: int = 0
    intents_right: int = 0
    slots_expected: int = 0
    slots_right: int = 0
    misses: list[Miss] = field(default_factory=list)
    errors_by_intent: Counter[str] = field(default_factory=Counter)

    @property
    def intent_accuracy(self) -> float:
        return self.intents_right / self.total if self.total else 0.0

    @property
    def slot_accuracy(self) -> float:
        return self.slots_right / self.slots_expected if self.slots_expected else 1.0


def load_corpus(path: str | Path) -> list[dict[str, Any]]:
    """Records of {"text", "intent", "slots", "split"}, one JSON object per line."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def slot_matches(expected: Any, actual: Any) -> bool:
    """Exact match; an address is compared by its canonical label."""
    if isinstance(actual, dict) and "label" in actual and isinstance(expected, str):
        return actual["label"] == expected
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(actual.get(key) == value for key, value in expected.items())
    return actual == expected


def evaluate(nlu: NLU, records: list[dict[str, Any]], split: str, now: datetime = CORPUS_NOW) -> Report:
    """Run every record of the split and count what matched."""
    report = Report(split)
    for record in records:
        if record["split"] != split:
            continue
        result = nlu.understand(record["text"], now)
        expected_slots = record.get("slots", {})
        report.total += 1
        intent_ok = result.intent == record["intent"]
        report.intents_right += intent_ok
        right = sum(slot_matches(value, result.slots.get(key)) for key, value in expected_slots.items())
        report.slots_expected += len(expected_slots)
        report.slots_right += right
        if not intent_ok or right < len(expected_slots):
            report.misses.append(Miss(record["text"], record["intent"], result.intent, expected_slots, result.slots))
            if not intent_ok:
                report.errors_by_intent[record["intent"]] += 1
    return report
