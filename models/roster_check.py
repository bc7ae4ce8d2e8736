"""Checking roster rows: one spreadsheet row → a Row (canonical address, phone, identity,
area, community) or the reason it cannot be imported; then the rows against each other.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from models.address import CN_DIGITS, AddressError, parse_address
from models.people import IDENTITIES
from models.roster_io import RawRow

Progress = Callable[[int], None]
_NUMERAL = re.compile(rf"[0-9{CN_DIGITS}]+")
_AREA_UNIT = re.compile(r"(平方米|平米|平方|平|㎡|m²|m2)$", re.IGNORECASE)
MAX_AREA = Decimal("100000")
MAX_COMMUNITY_NAME = 64


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str


@dataclass(frozen=True)
class Row:
    line: int
    point: str
    building: str
    unit: str
    room: str
    name: str
    phone: str                     # 11 digits, or "" when the roster has none
    identity: str                  # 业主 / 租户
    area: Decimal | None
    community: str = ""            # the 社区 column; "" when the file has none

    @property
    def hkey(self) -> tuple[str, str, str, str]:
        return (self.point, self.building, self.unit, self.room)


def phone_hash(secret: str, phone: str) -> str:
    if not phone:
        return ""
    return hmac.new(secret.encode(), phone.encode(), hashlib.sha256).hexdigest()


def normalise_phone(raw: str) -> str | None:
    """11-digit mainland mobile number, "" for none, None when it is not one."""
    digits = re.sub(r"[\s\-—()（）+]", "", raw)
    if not digits:
        return ""
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if re.fullmatch(r"1[3-9][0-9]{9}", digits) else None


@lru_cache(maxsize=4096)
def _address(building: str, unit: str, room: str) -> tuple[str, str, str] | str:
    """(building, unit, room) in canonical form, or the reason they cannot be read."""
    if not building:
        return "缺少楼栋"
    if not unit:
        return "缺少单元"
    if not room:
        return "缺少室号"
    b = building + "号楼" if _NUMERAL.fullmatch(building) else building
    u = unit + "单元" if _NUMERAL.fullmatch(unit) else unit
    try:
        a = parse_address(b + u + room)
    except AddressError as exc:
        return f"地址“{building} {unit} {room}”看不懂（{exc.message.split('，')[0]}）"
    if a.point or a.building is None or a.unit is None or a.room is None:
        return f"地址“{building} {unit} {room}”看不懂，楼栋、单元、室号要分开写"
    return (a.building, a.unit, a.room)


def _area(raw: str) -> Decimal | None | str:
    text_ = _AREA_UNIT.sub("", raw.replace(" ", ""))
    if not text_:
        return None
    try:
        value = Decimal(text_)
    except InvalidOperation:
        return f"面积“{raw}”不是数字"
    if not value.is_finite() or value <= 0:
        return f"面积“{raw}”必须大于 0"
    if value > MAX_AREA:
        return f"面积“{raw}”太大了"
    return value.quantize(Decimal("0.01"))


def check_row(raw: RawRow, default_community: str = "") -> Row | Rejection:
    """One spreadsheet row → a Row, or the first reason it cannot be imported. A row
    without a 社区 cell belongs to `default_community`."""
    c = raw.cells
    name = re.sub(r"\s+", "", c["姓名"])
    if not name:
        return Rejection(raw.line, "缺少姓名")
    if len(name) > 32:
        return Rejection(raw.line, "姓名太长")
    point = re.sub(r"\s+", "", c["居民点"])
    if not point:
        return Rejection(raw.line, "缺少居民点")
    addr = _address(c["楼栋"].replace(" ", ""), c["单元"].replace(" ", ""), c["室号"].replace(" ", ""))
    if isinstance(addr, str):
        return Rejection(raw.line, addr)
    phone = normalise_phone(c["手机"])
    if phone is None:
        digits = re.sub(r"\D", "", c["手机"])
        what = f"只有 {len(digits)} 位数字" if len(digits) != 11 else "不是手机号"
        return Rejection(raw.line, f"手机号不对（{what}），应为 11 位手机号")
    identity = c["身份"].replace(" ", "")
    if not identity:
        return Rejection(raw.line, "缺少身份（填“业主”或“租户”）")
    if identity not in IDENTITIES:
        return Rejection(raw.line, f"身份“{identity}”不认识，只能填“业主”或“租户”")
    area = _area(c["面积"])
    if isinstance(area, str):
        return Rejection(raw.line, area)
    community = re.sub(r"\s+", "", c.get("社区", "")) or default_community
    if len(community) > MAX_COMMUNITY_NAME:
        return Rejection(raw.line, "社区名称太长")
    return Row(raw.line, point, *addr, name, phone, identity, area, community)


def check_rows(rows: Sequence[RawRow], progress: Progress | None = None,
               default_community: str = "") -> tuple[list[Row], list[Rejection]]:
    """Every row checked alone, then against the others (duplicates, conflicting areas);
    the same address in two communities is two households."""
    good: list[Row] = []
    bad: list[Rejection] = []
    seen: dict[tuple[str, tuple[str, str, str, str], str], int] = {}
    areas: dict[tuple[str, tuple[str, str, str, str]], tuple[Decimal, int]] = {}
    for i, raw in enumerate(rows, 1):
        if progress and i % 200 == 0:
            progress(200)
        row = check_row(raw, default_community)
        if isinstance(row, Rejection):
            bad.append(row)
            continue
        first = seen.get((row.community, row.hkey, row.name))
        if first is not None:
            bad.append(Rejection(row.line, f"与第 {first} 行重复（同一户同一姓名）"))
            continue
        if row.area is not None:
            known = areas.get((row.community, row.hkey))
            if known is not None and known[0] != row.area:
                bad.append(Rejection(row.line, f"面积 {row.area} 与第 {known[1]} 行同一户的面积 {known[0]} 不一致"))
                continue
            areas.setdefault((row.community, row.hkey), (row.area, row.line))
        seen[(row.community, row.hkey, row.name)] = row.line
        good.append(row)
    if progress and len(rows) % 200:
        progress(len(rows) % 200)
    return good, bad


