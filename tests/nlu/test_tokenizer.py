"""The compact tokenizer cuts exactly as jieba's own does, with a smaller dictionary in memory."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.nlu import NLU
from bot.nlu.engine import COMMUNITY_DICTIONARY
from bot.nlu.tokenizer import CompactTokenizer, load_dictionary

CORPUS = Path(__file__).resolve().parents[1] / "data" / "nlu" / "corpus.jsonl"
MODES = {
    "lcut": lambda t, s: t.lcut(s),
    "lcut without HMM": lambda t, s: t.lcut(s, HMM=False),
    "cut_all": lambda t, s: t.lcut(s, cut_all=True),
    "cut_for_search": lambda t, s: t.lcut_for_search(s),
}


@pytest.fixture(scope="module")
def pair() -> tuple[Any, CompactTokenizer]:
    """jieba's Tokenizer and ours, both with the community dictionary."""
    import jieba

    theirs = jieba.Tokenizer()
    theirs.initialize()
    theirs.load_userdict(str(COMMUNITY_DICTIONARY))
    ours = CompactTokenizer()
    ours.initialize()
    ours.load_userdict(str(COMMUNITY_DICTIONARY))
    return theirs, ours


def _texts() -> list[str]:
    texts = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    freq, _, _ = load_dictionary()
    words = sorted(w for w, f in freq.items() if f)
    chars = sorted({c for w in words[::50] for c in w})
    rnd = random.Random(20261127)
    for _ in range(3000):  # runs of dictionary words (long words, idioms) and of loose characters
        texts.append("".join(rnd.choice(words) for _ in range(rnd.randint(1, 6))))
        texts.append("".join(rnd.choice(chars) for _ in range(rnd.randint(1, 15)))
                     + rnd.choice(["abc12", " ", "，", "3号楼2单元", ""]))
    return texts


def test_every_cut_is_the_same_as_jiebas(pair: tuple[Any, CompactTokenizer]) -> None:
    theirs, ours = pair
    texts = _texts()
    for name, cut in MODES.items():
        differ = [t for t in texts if cut(theirs, t) != cut(ours, t)]
        assert not differ, f"{name}: {len(differ)} of {len(texts)} differ, e.g. {differ[:3]}"


def test_the_dictionary_keeps_words_only(pair: tuple[Any, CompactTokenizer]) -> None:
    theirs, ours = pair
    words = {w for w, f in theirs.FREQ.items() if f}
    assert {w for w, f in ours.FREQ.items() if f} == words
    assert ours.total == theirs.total
    # jieba's 149,000 prefix keys are gone, and the rest fits a dict table half the size.
    assert len(theirs.FREQ) - len(ours.FREQ) > 140_000
    assert sys.getsizeof(ours.FREQ) < 0.55 * sys.getsizeof(theirs.FREQ)


def test_suggested_frequencies_are_the_same(pair: tuple[Any, CompactTokenizer]) -> None:
    theirs, ours = pair
    # A prefix key (居委, 中华人民) reads 0 in jieba's dict and must read 0 here too.
    for segment in ("居委", "楼道灯", "中华人民", "AA", "A", "x", "社区居委会", "黄巷社区",
                    ("楼道", "灯"), ("居", "委会"), ("中华", "人民")):
        assert ours.suggest_freq(segment) == theirs.suggest_freq(segment), segment


def test_words_added_later_cut_the_same(pair: tuple[Any, CompactTokenizer]) -> None:
    import jieba

    theirs, ours = jieba.Tokenizer(), CompactTokenizer()
    for t in (theirs, ours):
        t.initialize()
        t.add_word("楼道长会议室", 5000)
        t.add_word("黄巷")          # a frequency suggested from the cut
        t.del_word("居民")
    for text in ("黄巷社区楼道长会议室开会", "居民楼道长会议", "黄巷居民"):
        for name, cut in MODES.items():
            assert cut(theirs, text) == cut(ours, text), (name, text)


def test_the_nlu_uses_it(nlu: NLU) -> None:
    assert isinstance(nlu._tokenizer, CompactTokenizer)
    assert nlu.tokenize("楼道灯坏了三天了")[0] == "楼道灯"  # a word of the community dictionary
