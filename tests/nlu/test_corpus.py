"""The labelled corpus: well-formed, covers every intent, and the NLU stays above its floor."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.nlu import INTENTS, NLU
from bot.nlu.evaluate import evaluate, load_corpus, slot_matches

CORPUS = Path(__file__).resolve().parents[1] / "data" / "nlu" / "corpus.jsonl"
RECORDS = load_corpus(CORPUS)


def test_corpus_is_large_and_well_formed() -> None:
    assert len(RECORDS) >= 450
    for record in RECORDS:
        assert set(record) == {"text", "intent", "slots", "split"}, record
        assert record["intent"] in INTENTS, record
        assert record["split"] in ("dev", "test"), record
        assert isinstance(record["slots"], dict), record
    texts = [record["text"] for record in RECORDS]
    assert len(texts) == len(set(texts)), "an utterance appears twice"


def test_split_is_roughly_sixty_forty() -> None:
    splits = Counter(record["split"] for record in RECORDS)
    assert 0.30 <= splits["test"] / len(RECORDS) <= 0.45


@pytest.mark.parametrize("split", ["dev", "test"])
def test_every_intent_is_in_both_splits(split: str) -> None:
    covered = {record["intent"] for record in RECORDS if record["split"] == split}
    assert covered == set(INTENTS)


def test_test_split_floor(nlu: NLU) -> None:
    report = evaluate(nlu, RECORDS, "test")
    misses = "\n".join(f"{m.text}: {m.expected_intent} → {m.intent} {m.slots}" for m in report.misses)
    assert report.intent_accuracy >= 0.90, misses
    assert report.slot_accuracy >= 0.85, misses


def test_dev_split_floor(nlu: NLU) -> None:
    report = evaluate(nlu, RECORDS, "dev")
    assert report.intent_accuracy >= 0.90
    assert report.slot_accuracy >= 0.85


def test_every_result_is_json_serialisable(nlu: NLU) -> None:
    for record in RECORDS:
        result = nlu.understand(record["text"])
        json.dumps(result.as_dict(), ensure_ascii=False)
        assert 0.0 <= result.confidence <= 1.0


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        ("3号楼2单元301室", {"label": "3号楼2单元301室", "building": "3"}, True),
        ("3号楼2单元301室", {"label": "3号楼2单元302室"}, False),
        (5, 5, True),
        (5, "5", False),
        ("同意", None, False),
    ],
)
def test_slot_matching_is_exact(expected: object, actual: object, matches: bool) -> None:
    assert slot_matches(expected, actual) is matches
