"""The per-intent gate in cue scoring (one search per intent before one per cue) changes
no score: checked against scoring every cue, on the whole corpus and on made-up texts."""
from __future__ import annotations

import random
from pathlib import Path

from bot.nlu import classify
from bot.nlu.evaluate import load_corpus
from bot.nlu.evidence import gather
from bot.nlu.lexicon import INTENT_CUES
from bot.nlu.normalise import normalise
from bot.nlu.engine import NLU

CORPUS = Path(__file__).resolve().parents[1] / "data" / "nlu" / "corpus.jsonl"


def every_cue(evidence: classify.Evidence) -> dict[str, float]:
    scores: dict[str, float] = {}
    for intent, cues in INTENT_CUES.items():
        total = sum(weight for pattern, weight in cues
                    if pattern.search(evidence.flat)
                    or (evidence.negations and pattern.search(evidence.negations)))
        if total:
            scores[intent] = total
    return scores


def texts() -> list[str]:
    corpus = [r["text"] for r in load_corpus(CORPUS)]
    rng = random.Random(7)
    pieces = [t[i:i + 3] for t in corpus for i in range(0, len(t), 3)]
    made_up = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    return corpus + made_up + ["不", "^", "?", "HELP", "help", "不满意", "没人管"]


def test_gated_scores_equal_scoring_every_cue(nlu: NLU) -> None:
    checked = with_cues = 0
    for text in texts():
        standard = normalise(text)
        evidence = gather(standard, nlu.tokenize(standard), None)
        expected = every_cue(evidence)
        assert classify.cue_scores(evidence) == expected, text
        checked += 1
        with_cues += bool(expected)
    assert checked > 3000 and with_cues > 1000   # the comparison saw real cue matches
