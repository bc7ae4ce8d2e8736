"""Input clean-up before understanding: width, emoji, voice fillers, typos, dialect."""

from __future__ import annotations

import re
import unicodedata

# WeChat sends its own emoticons as text: [微笑], [捂脸], /::) , /:rose.
_WECHAT_EMOTICON = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]|/:{1,2}[A-Za-z()<>!@#$%^&*+=|\-?'\",.~`]{1,8}")
# Fillers that voice recognition and chatty writers put in front of the message.
_LEAD_FILLER = re.compile(
    r"^(?:嗯+|呃+|额+|啊+|喂+|哎+|唉+|诶+|欸+|哦+|噢+|(?:那个|这个)(?!月|周|星期|礼拜|年)|就是说?|然后|我说|请问一下|请问|"
    r"麻烦问一下|问一下)"
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

# Homophone and input-method slips seen in residents' messages, fixed before anything else.
TYPOS = {
    "楼到": "楼道", "报明": "报名", "抱名": "报名", "头票": "投票", "表绝": "表决", "公越": "公约",
    "工约": "公约", "绑订": "绑定", "邦定": "绑定", "投素": "投诉", "保修": "报修", "物叶": "物业",
    "通之": "通知", "垦谈会": "恳谈会", "肯谈会": "恳谈会", "满义": "满意", "弃全": "弃权",
    "签道": "签到", "订越": "订阅", "退定": "退订", "进渡": "进度", "拉圾": "垃圾", "燥音": "噪音",
    "反应": "反映", "以经": "已经", "电平车": "电瓶车", "神马": "什么", "啥子": "啥",
}  # fmt: skip
_TYPO = re.compile("|".join(sorted(TYPOS, key=len, reverse=True)))

# Dialect (Wu, northern) words mapped to Mandarin for matching only; the text shown is kept.
# Every mapping keeps the length, so offsets found on the mapped text fit the shown one.
DIALECT = {
    "勿要": "不要", "覅": "不", "勿": "不", "阿拉": "我们", "侬": "你", "俺": "我", "咱": "我",
    "晓得": "知道", "困觉": "睡觉", "屋里": "家里", "上回": "上次", "礼拜": "星期", "哪能": "怎样",
}  # fmt: skip
_DIALECT = re.compile("|".join(sorted(DIALECT, key=len, reverse=True)))
_QUESTION_TAIL = re.compile(r"(?:伐|(?<![什怎这那多要干])么|(?<![干])嘛)(?=$|[\s,，。!！?？])")


def _drop_symbols(text: str) -> str:
    return "".join(
        ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in _DROP_CATEGORIES
    )


def normalise(text: str | None) -> str:
    """The text a resident meant: half-width, no emoji, no fillers, typos fixed."""
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
    text = _TYPO.sub(lambda match: TYPOS[match[0]], text)
    text = _TRAILING.sub("", text)
    return _SPACES.sub(" ", text).strip()


def standardise(text: str) -> str:
    """Dialect words in Mandarin (侬→你, 勿→不, 伐→吗) for matching; same length."""
    text = _DIALECT.sub(lambda match: DIALECT[match[0]], text)
    return _QUESTION_TAIL.sub("吗", text)


def flatten(text: str) -> str:
    """Text without punctuation or spaces, for phrase matching across pauses."""
    return _PUNCT.sub("", text)


def is_punct(token: str) -> bool:
    """True for tokens that are only punctuation or space."""
    return not token or _PUNCT.fullmatch(token) is not None


_CJK = "\u4e00-\u9fff"
_FULL_WIDTH = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_HALF_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s*([,;:?!])\s*|\s*([,;:?!])\s*(?=[{_CJK}])")


def chinese_punctuation(text: str) -> str:
    """Full-width punctuation back where NFKC made it half-width beside Chinese (楼道灯坏了,
    晚上很黑 → 楼道灯坏了，晚上很黑): text a resident wrote and staff read, as written."""
    return _HALF_BETWEEN_CJK.sub(lambda m: _FULL_WIDTH[m[1] or m[2]], text)
