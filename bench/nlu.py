"""NLU benchmark: accuracy on the labelled corpus and the cost per message.

    .venv/bin/python bench/nlu.py [--misses] [--rounds N]

Prints intent and slot accuracy for the dev and test splits, errors per intent, the
warm-up time of a fresh NLU and the median / p99 cost of one message after warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlu.engine import NLU  # noqa: E402
from bot.nlu.evaluate import CORPUS_NOW, Report, evaluate, load_corpus  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "nlu" / "corpus.jsonl"


def _print_report(report: Report, show_misses: bool) -> None:
    print(
        f"{report.split:>5}: {report.total} utterances  "
        f"intent {report.intent_accuracy:6.1%}  slots {report.slot_accuracy:6.1%} "
        f"({report.slots_right}/{report.slots_expected})"
    )
    if report.errors_by_intent:
        errors = ", ".join(f"{intent} {count}" for intent, count in report.errors_by_intent.most_common())
        print(f"       intent errors by expected intent: {errors}")
    if show_misses:
        for miss in report.misses:
            print(f"       ✗ {miss.text!r}: expected {miss.expected_intent} {miss.expected_slots}")
            print(f"         got {miss.intent} {miss.slots}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--rounds", type=int, default=5, help="timing passes over the corpus")
    args = parser.parse_args()

    records = load_corpus(CORPUS)
    started = time.perf_counter()
    nlu = NLU()
    nlu.warm()
    warm_seconds = time.perf_counter() - started

    for split in ("dev", "test"):
        _print_report(evaluate(nlu, records, split), args.misses)

    texts = [record["text"] for record in records]
    costs = []
    for _ in range(args.rounds):
        for text in texts:
            begin = time.perf_counter_ns()
            nlu.understand(text, CORPUS_NOW)
            costs.append((time.perf_counter_ns() - begin) / 1e6)
    costs.sort()
    p99 = costs[min(len(costs) - 1, int(len(costs) * 0.99))]
    print(f"warm-up {warm_seconds:.2f} s; per message after warm-up: "
          f"median {statistics.median(costs):.3f} ms, p99 {p99:.3f} ms, max {costs[-1]:.3f} ms "
          f"({len(costs)} calls)")


if __name__ == "__main__":
    main()
