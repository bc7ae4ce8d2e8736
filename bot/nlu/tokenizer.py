"""jieba's tokenizer with a smaller dictionary in memory and the same cuts.

jieba keeps its 349,046 words in one dict together with every proper prefix of every
word (149,000 more keys, value 0), so that get_DAG can stop extending a fragment once
no word starts with it: ≈ 25 MB of every web worker with the larger dict table. Here the
dict holds the words only (it then fits a table half the size) and the "does a longer
word start with this fragment?" question is answered by a 512 KB bit set of prefix
hashes. A false positive costs one more lookup; a prefix is never missed, so the DAG,
the route and every cut are the same as jieba's (tests/nlu/test_tokenizer.py compares
them). The one other reader that could tell a prefix key from a missing key,
suggest_freq, asks `_freq` below, which answers as jieba's full dict would.

Imported only by NLU.warm(): importing bot.nlu stays light.
"""
from __future__ import annotations

import logging
import marshal
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

# jieba imports pkg_resources only to open its own data files and falls back to open()
# without it; pkg_resources scans every installed distribution (≈ 4 MB, 0.3 s), so keep
# it out unless something else already loaded it.
_blocked = "pkg_resources" not in sys.modules
if _blocked:
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
try:
    import jieba
    from jieba import finalseg
finally:
    if _blocked and sys.modules.get("pkg_resources", 0) is None:
        del sys.modules["pkg_resources"]

log = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)  # its import sets DEBUG and prints the dictionary build

CACHE_FORMAT = 2
PREFIX_BITS = 1 << 22
_build_lock = threading.Lock()


def _dictionary_path() -> Path:
    return Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)


def _cache_path(source: Path) -> Path:
    st = source.stat()
    tag = f"{CACHE_FORMAT}-{st.st_size}-{st.st_mtime_ns}-{os.getuid()}"
    return Path(tempfile.gettempdir()) / f"linli-jieba-{tag}.marshal"


def _parse(source: Path) -> tuple[dict[str, int], int, dict[str, int]]:
    """Words and frequencies as jieba's gen_pfdict reads them, without the prefix keys."""
    freq: dict[str, int] = {}
    longest: dict[str, int] = {}
    total = 0
    with source.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip().decode("utf-8")
            try:
                word, count = line.split(" ")[:2]
                n = int(count)
            except ValueError:
                raise ValueError(f"invalid dictionary entry in {source} at line {lineno}: {line}") from None
            freq[word] = n
            total += n
            if len(word) > longest.get(word[0], 1):  # only words of 2+ characters
                longest[word[0]] = len(word)
    return freq, total, longest


def _trusted(path: Path) -> bool:
    """Our own file, writable by nobody else: a shared temp folder is not trusted blindly."""
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def load_dictionary() -> tuple[dict[str, int], int, dict[str, int]]:
    """(FREQ without prefix keys, total, longest word length by first character), from a
    marshal cache in the temp folder when there is one (≈ 0.2 s), else parsed (≈ 1 s)."""
    source = _dictionary_path()
    cache = _cache_path(source)
    if _trusted(cache):
        try:
            with cache.open("rb") as f:
                freq, total, longest = marshal.load(f)
            return freq, total, longest
        except (OSError, EOFError, ValueError, TypeError):
            log.warning("jieba cache %s unreadable; rebuilding it", cache)
    with _build_lock:
        data = _parse(source)
        try:
            fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".linli-jieba-")
            with os.fdopen(fd, "wb") as f:
                marshal.dump(data, f)
            os.replace(tmp, cache)
        except OSError as exc:  # a read-only temp folder only costs the next start 1 s
            log.warning("cannot write the jieba cache %s: %s", cache, exc)
    return data


class CompactTokenizer(jieba.Tokenizer):  # type: ignore[misc]
    """jieba.Tokenizer on the default dictionary, without prefix keys (see the module doc)."""

    def __init__(self) -> None:
        super().__init__()
        self._longest: dict[str, int] = {}
        # One bit per hash of each proper prefix (2+ characters) of every word, 512 KB in
        # place of jieba's 149,000 prefix keys: get_DAG extends a fragment while the bit is
        # set. A false positive (≈ 5 %) costs one more lookup, never a different DAG.
        self._prefixes = bytearray(PREFIX_BITS // 8)

    def initialize(self, dictionary: Any = None) -> None:
        if dictionary:
            raise ValueError("CompactTokenizer uses jieba's default dictionary only")
        with self.lock:
            if self.initialized:
                return
            self.FREQ, self.total, self._longest = load_dictionary()
            for word in self.FREQ:
                if len(word) > 2:
                    self._mark_prefixes(word)
            self.initialized = True

    def _mark_prefixes(self, word: str) -> None:
        bits = self._prefixes  # str hashes differ per process: built here, never cached
        for j in range(2, len(word)):
            h = hash(word[:j]) & (PREFIX_BITS - 1)
            bits[h >> 3] |= 1 << (h & 7)

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:  # noqa: N802 - jieba's name
        """The same DAG as jieba's: every i where sentence[k:i+1] is a word of nonzero frequency."""
        self.check_initialized()
        get, longest, bits = self.FREQ.get, self._longest, self._prefixes
        n = len(sentence)
        dag: dict[int, list[int]] = {}
        for k in range(n):
            frag = sentence[k]
            ends = [k] if get(frag) else []
            if frag in longest:  # some word of 2+ characters may start here
                i = k + 1
                while i < n:
                    frag = sentence[k:i + 1]
                    if get(frag):
                        ends.append(i)
                    h = hash(frag) & (PREFIX_BITS - 1)
                    if not bits[h >> 3] & (1 << (h & 7)):
                        break  # no longer word starts with this fragment
                    i += 1
            dag[k] = ends or [k]
        return dag

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        """jieba's add_word without the prefix keys (the dict of 349,379 words then fits a
        2^19 table: 7.7 MB instead of 15.4 MB)."""
        self.check_initialized()
        word = jieba.strdecode(word)
        count = int(freq) if freq is not None else self.suggest_freq(word, False)
        self.FREQ[word] = count
        self.total += count
        if tag:
            self.user_word_tag_tab[word] = tag
        if len(word) > self._longest.get(word[:1], 1):
            self._longest[word[0]] = len(word)
        self._mark_prefixes(word)
        if count == 0:
            finalseg.add_force_split(word)

    def _freq(self, segment: str, default: int) -> int:
        """FREQ.get(segment, default) as jieba's full dict answers it: 0 for a prefix key."""
        value = self.FREQ.get(segment)
        if value is not None:
            return int(value)
        if self._longest.get(segment[:1], 0) < len(segment):
            return default
        if len(segment) == 1 or any(w.startswith(segment) for w in self.FREQ):
            return 0  # rare: only loading a user dictionary without frequencies gets here
        return default

    def suggest_freq(self, segment: Any, tune: bool = False) -> int:
        """jieba's suggest_freq, reading frequencies through _freq."""
        self.check_initialized()
        ftotal = float(self.total)
        freq: float = 1
        if isinstance(segment, str):
            word = segment
            for seg in self.cut(word, HMM=False):
                freq *= self._freq(seg, 1) / ftotal
            result = max(int(freq * self.total) + 1, self._freq(word, 1))
        else:
            parts = tuple(map(jieba.strdecode, segment))
            word = "".join(parts)
            for seg in parts:
                freq *= self._freq(seg, 1) / ftotal
            result = min(int(freq * self.total), self._freq(word, 0))
        if tune:
            self.add_word(word, result)
        return result


__all__ = ["CompactTokenizer", "load_dictionary"]
