"""The one address parser of Linli: household and scope text → Address.

Residents write one household many ways (3号楼2单元301, 三号楼二单元301室, 3-2-301,
3栋2单元301, 十号楼一单元五零一, 黄巷新村3号楼2单元301 …); binding, CLI scopes and the
NLU all go through this module so they agree. Pure text: no database, no framework.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["CN_DIGITS", "Address", "AddressError", "find_address", "parse_address", "to_int"]

HINT = "请按“3号楼2单元301”的样子写"

# Chinese numeral characters as voice recognition and elderly residents write them.
CN_DIGITS = "零〇一二两三四五六七八九十百千幺"
NUM = rf"(?:[0-9]+|[{CN_DIGITS}]+)"
_ROOM_NUM = rf"(?:[A-Za-z]?[0-9]{{1,8}}[A-Za-z]?|[0-9{CN_DIGITS}]{{1,8}}|[A-Za-z][0-9]{{0,2}})"

# Names of 居民点 usually end with one of these; a bare point must, so that any
# Chinese word is not taken for a place.
POINT_SUFFIX = (
    "新村|小区|花园|家园|公寓|大院|新城|社区|苑|园|里|村|坊|庭|府|居|巷|弄|宿舍|东区|西区|南区|北区"
)
# A point name never ends in a numeral: 十一栋 is building 11, not point 十 + building 1.
_POINT_FREE = rf"[\u4e00-\u9fffA-Za-z·]{{1,14}}?(?<![{CN_DIGITS}])"
_BUILDING_MARK = r"(?:号楼|栋楼|幢楼|号栋|#楼|栋|幢|座|#|号|楼)"
_UNIT_MARK = r"(?:单元|楼道|门洞|门|道)"
_ROOM_MARK = r"(?:室|号|户)"


_DASH = r"\s*[-—–_~/]\s*"


def _marked(point: str | None) -> str:
    # The unit is marked (2单元) or followed by a dash and a room of two or more digits:
    # 3栋2-301, 3号楼2-301, 3#2-301 are building 3, unit 2, room 301.
    return (
        (rf"(?P<point>{point})?" if point else "")
        + rf"(?P<b>{NUM})\s*(?P<bm>{_BUILDING_MARK})"
        rf"(?:\s*(?P<u>{NUM})\s*(?:{_UNIT_MARK}|(?P<ud>{_DASH})(?=[A-Za-z]?[0-9]{{2}})))?"
        rf"(?:\s*(?P<r>{_ROOM_NUM})\s*{_ROOM_MARK}?)?"
    )

_FULL_MARKED = re.compile(rf"^\s*{_marked(_POINT_FREE)}\s*$")
_FULL_DASHED = re.compile(
    rf"^\s*(?P<point>{_POINT_FREE})?(?P<b>[0-9]{{1,3}}){_DASH}(?P<u>[0-9]{{1,2}})"
    rf"(?:{_DASH}(?P<r>[A-Za-z]?[0-9]{{1,5}}[A-Za-z]?)\s*{_ROOM_MARK}?)?\s*$"
)
_FULL_POINT = re.compile(rf"^\s*(?P<point>[\u4e00-\u9fff·]{{0,10}}(?:{POINT_SUFFIX}))\s*$")
_FIND_MARKED = re.compile(_marked(None))
_FIND_DASHED = re.compile(
    rf"(?<![0-9A-Za-z\-.:])(?P<b>[0-9]{{1,3}}){_DASH}"
    rf"(?P<u>[0-9]{{1,2}}){_DASH}(?P<r>[A-Za-z]?[0-9]{{2,5}}[A-Za-z]?)\s*{_ROOM_MARK}?"
    r"(?![0-9\-.:])"
)
# Words in front of an address that are not part of a point name.
_LEAD_IN = re.compile(r"^(?:我家住在|我家住|我住在|我家在|家住在|家住|住在|我住|我家|地址是|地址|住)")
# In a sentence, a point name is the run of characters before the building number
# after the last of these words, and must end like a point name.
_POINT_STOP = re.compile(
    r"住在|家住|我住|我家|我是|我们|你好|您好|这里|那里|这边|那边|就是|地址|绑定|认证|登记|房子|房屋|帮我|请|"
    r"[在是的了住和跟到从要想\s,，、:：]"
)
_POINT_TAIL = re.compile(rf"[\u4e00-\u9fff·]{{1,10}}(?:{POINT_SUFFIX})$")


class AddressError(ValueError):
    """An address the resident wrote that cannot be read; the message is for them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Address:
    """A scope or household: 居民点, 楼栋, 单元, 室; missing parts are None."""

    point: str | None = None
    building: str | None = None
    unit: str | None = None
    room: str | None = None

    @property
    def level(self) -> str:
        """The finest part present: 'point', 'building', 'unit' or 'room'."""
        if self.room is not None:
            return "room"
        if self.unit is not None:
            return "unit"
        if self.building is not None:
            return "building"
        return "point"

    @property
    def label(self) -> str:
        """Canonical text, e.g. 黄巷新村3号楼2单元301室."""
        parts = [self.point or ""]
        if self.building is not None:
            parts.append(f"{self.building}号楼")
        if self.unit is not None:
            parts.append(f"{self.unit}单元")
        if self.room is not None:
            parts.append(f"{self.room}室")
        return "".join(parts)

    def as_dict(self) -> dict[str, str | None]:
        """JSON-ready form used in NLU slots."""
        return {
            "point": self.point,
            "building": self.building,
            "unit": self.unit,
            "room": self.room,
            "label": self.label,
        }


# Full-width ASCII → ASCII, one character for one, so offsets stay valid.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _halfwidth(text: str) -> str:
    return text.translate(_HALFWIDTH)


@lru_cache(maxsize=512)
def to_int(token: str) -> int:
    """Arabic or Chinese numeral (三百零一, 五零一, 幺, 两) → int; ValueError if not one."""
    token = token.strip()
    if token.isdigit():
        return int(token)
    if not token or any(ch not in CN_DIGITS and not ch.isdigit() for ch in token):
        raise ValueError(token)
    import cn2an  # deferred: importing cn2an costs ~0.1 s

    if any(ch.isdigit() for ch in token):
        # Mixed forms such as 三0一 are digit-by-digit readings.
        token = "".join(ch if ch.isdigit() else str(_cn(cn2an, ch)) for ch in token)
        return int(token)
    return _cn(cn2an, token)


def _cn(cn2an_module: object, token: str) -> int:
    try:
        value = cn2an_module.cn2an(token, "normal")  # type: ignore[attr-defined]
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(token) from exc
    if value != int(value):
        raise ValueError(token)
    return int(value)


def _digits(token: str, what: str) -> str:
    try:
        value = to_int(token)
    except ValueError:
        raise AddressError(f"{what}“{token}”没看懂，{HINT}") from None
    if value <= 0:
        raise AddressError(f"{what}不能是 0，{HINT}")
    return str(value)


def _room(token: str) -> str:
    token = token.strip().upper()
    if not token:
        raise AddressError(f"缺少室号，{HINT}")
    if re.fullmatch(r"[A-Z]?[0-9]+[A-Z]?|[A-Z][0-9]*", token):
        number = re.sub(r"[A-Z]", "", token)
        if number and len(number) > 5:
            raise AddressError(f"室号“{token}”太长了，{HINT}")
        # Drop leading zeros of the number but keep letters (B1, 301A).
        return re.sub(r"(?<![0-9])0+(?=[0-9])", "", token)
    if all(ch in CN_DIGITS or ch.isdigit() for ch in token):
        if any(ch in "十百千" for ch in token):
            return _digits(token, "室号")
        # Digit-by-digit reading (三零一, 幺零二, 三0一): keep every digit as read.
        import cn2an  # deferred, see to_int

        digits = "".join(ch if ch.isdigit() else str(_cn(cn2an, ch)) for ch in token)
        if len(digits) > 5:
            raise AddressError(f"室号“{token}”太长了，{HINT}")
        return digits
    raise AddressError(f"室号“{token}”没看懂，{HINT}")


def _point(raw: str | None) -> str | None:
    if not raw:
        return None
    point = _LEAD_IN.sub("", raw.strip())
    return point or None


def _from_match(match: re.Match[str]) -> Address:
    groups = match.groupdict()
    building = _digits(groups["b"], "楼号")
    unit = _digits(groups["u"], "单元号") if groups.get("u") else None
    room = _room(groups["r"]) if groups.get("r") else None
    if groups.get("bm") == "号" and unit is None and room is not None:
        # "3号301" reads as a house number, not as building 3: refuse to guess.
        raise AddressError(f"没看懂地址，{HINT}")
    return Address(_point(groups.get("point")), building, unit, room)


def parse_address(text: str) -> Address:
    """Parse a whole text that is an address or a scope; AddressError with the reason."""
    cleaned = _halfwidth(text or "").strip().rstrip("。.,，!！")
    cleaned = re.sub(r"\s+", "", cleaned)
    if not cleaned:
        raise AddressError(f"地址是空的，{HINT}")
    for pattern in (_FULL_MARKED, _FULL_DASHED):
        match = pattern.match(cleaned)
        if match:
            address = _from_match(match)
            if match.groupdict().get("bm") == "楼" and address.unit is None:
                raise AddressError(f"“{cleaned}”像是楼层，请写楼号，如“3号楼”；{HINT}")
            return address
    match = _FULL_POINT.match(cleaned)
    if match:
        point = _point(match.group("point"))
        if point:
            return Address(point, None, None, None)
    if re.search(rf"{NUM}\s*{_UNIT_MARK}", cleaned) and not re.search(_BUILDING_MARK, cleaned):
        raise AddressError(f"缺少楼号，{HINT}")
    if re.fullmatch(r"[0-9]+", cleaned):
        raise AddressError(f"只有数字看不出是哪一户，{HINT}")
    raise AddressError(f"没看懂地址，{HINT}")


def _point_before(source: str, start: int) -> tuple[str, int] | None:
    window = source[max(0, start - 14) : start]
    cut = 0
    for stop in _POINT_STOP.finditer(window):
        cut = stop.end()
    tail = window[cut:]
    match = _POINT_TAIL.search(tail)
    if not match or match.start() != 0:
        return None
    return tail, start - len(tail)


def find_address(text: str) -> tuple[Address, int, int] | None:
    """The first address inside a longer sentence, with its start and end offsets.

    Offsets index the text as given (full-width digits are read in place).
    """
    if not text:
        return None
    source = _halfwidth(text)
    best: tuple[int, int, Address] | None = None
    for pattern in (_FIND_MARKED, _FIND_DASHED):
        for match in pattern.finditer(source):
            mark = match.groupdict().get("bm")
            # A bare 号 or 楼 after a number is a date, an id or a floor unless a marked unit
            # follows (3号2-15 in a sentence is more likely a date range than an address).
            if mark in ("号", "楼") and (not match.group("u") or match.group("ud")):
                continue
            try:
                address = _from_match(match)
            except AddressError:
                continue
            start, end = match.start(), match.end()
            while end > start and source[end - 1].isspace():
                end -= 1
            if best is None or start < best[0]:
                best = (start, end, address)
            break
    if best is None:
        return None
    start, end, address = best
    point = _point_before(source, start)
    if point:
        address = Address(point[0], address.building, address.unit, address.room)
        start = point[1]
    return address, start, end
