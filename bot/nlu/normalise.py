"""Input clean-up before understanding: width, emoji, voice fillers, punctuation noise."""

from __future__ import annotations

import re
import unicodedata

# WeChat sends its own emoticons as text: [微笑], [捂脸], /::) , /:rose.
_WECHAT_EMOTICON = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]|/:{1,2}[A-Za-z()<>!@#$%^&*+=|\-?'\",.~`]{1,8}")
# Fillers that voice recognition and chatty writers put in front of the message.
_LEAD_FILLER = re.compile(
    r"^(?:嗯+|呃+|额+|啊+|喂+|哎+|唉+|诶+|欸+|哦+|噢+|那个|这个|就是说?|然后|我说|请问一下|请问|麻烦问一下|问一下)"
    r"[\s,，。、!！?？.…~～]*"
)
# 嗯 / 呃 are never words on their own; 那个 is a filler only before a pause.
_INNER_FILLER = re.compile(r"嗯+|呃+|那个(?=[\s,，。、])")
_TRAILING = re.compile(r"[\s。.!！?？~～…,，、;；:：'\"“”‘’()（）\-]+$")
_LEADING = re.compile(r"^[\s。.!！?？~～…,，、;；:：'\"“”‘’()（）]+")
_SPACES = re.compile(r"\s+")
_REPEATED_PUNCT = re.compile(r"([,，。.!！?？~～、…])\1+")
# Characters that carry no meaning for us: emoji, symbols, control and private-use.
_DROP_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co", "Cn", "Cc", "Cf", "Me", "Mn"})
_KEEP = frozenset("\n\t #")
_PUNCT = re.compile(r"[\s,，。.!！?？~～…、;；:：'\"“”‘’()（）【】《》<>\[\]{}|/\\*&^%$@=+]+")


def _drop_symbols(text: str) -> str:
    return "".join(
        ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in _DROP_CATEGORIES
    )


def normalise(text: str | None) -> str:
    """The text a resident meant: half-width, no emoji, no fillers, single spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _WECHAT_EMOTICON.sub(" ", text)
    text = _drop_symbols(text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    text = _SPACES.sub(" ", text).strip()
    previous = None
    while previous != text:
        previous = text
        text = _LEADING.sub("", text)
        text = _LEAD_FILLER.sub("", text)
    text = _INNER_FILLER.sub("", text)
    text = _TRAILING.sub("", text)
    return _SPACES.sub(" ", text).strip()


def flatten(text: str) -> str:
    """Text without punctuation or spaces, for phrase matching across pauses."""
    return _PUNCT.sub("", text)


def is_punct(token: str) -> bool:
    """True for tokens that are only punctuation or space."""
    return not token or _PUNCT.fullmatch(token) is not None
