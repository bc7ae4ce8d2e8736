"""Roster import: spreadsheet rows → places, households and roster entries, idempotently.

`import_roster(session, rows, now, secret)` checks every row, compares it with what the
database holds (loaded once into dicts), and writes only the differences in bulk. With
any bad row nothing is written unless `partial` is set. Full phone numbers are never
stored: only the last four digits, a mask, and an HMAC keyed by the server secret.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from models.address import CN_DIGITS, AddressError, parse_address
from models.community import BUILDING, OWNER, POINT, TENANT, UNIT, Community, Household, Place, default_community
from models.people import IDENTITIES, RosterEntry, mask_phone
from models.roster_io import RawRow

Progress = Callable[[int], None]
_PG_LOCK = 4242_0003   # one roster import at a time on PostgreSQL
_NUMERAL = re.compile(rf"[0-9{CN_DIGITS}]+")
_AREA_UNIT = re.compile(r"(平方米|平米|平方|平|㎡|m²|m2)$", re.IGNORECASE)
MAX_AREA = Decimal("100000")


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str


@dataclass
class Report:
    rows: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    applied: bool = False          # False: nothing was written (bad rows without --partial)
    households_added: int = 0
    places_added: int = 0


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


def check_row(raw: RawRow) -> Row | Rejection:
    """One spreadsheet row → a Row, or the first reason it cannot be imported."""
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
    return Row(raw.line, point, *addr, name, phone, identity, area)


def check_rows(rows: Sequence[RawRow], progress: Progress | None = None) -> tuple[list[Row], list[Rejection]]:
    """Every row checked alone, then against the others (duplicates, conflicting areas)."""
    good: list[Row] = []
    bad: list[Rejection] = []
    seen: dict[tuple[tuple[str, str, str, str], str], int] = {}
    areas: dict[tuple[str, str, str, str], tuple[Decimal, int]] = {}
    for i, raw in enumerate(rows, 1):
        if progress and i % 200 == 0:
            progress(200)
        row = check_row(raw)
        if isinstance(row, Rejection):
            bad.append(row)
            continue
        first = seen.get((row.hkey, row.name))
        if first is not None:
            bad.append(Rejection(row.line, f"与第 {first} 行重复（同一户同一姓名）"))
            continue
        if row.area is not None:
            known = areas.get(row.hkey)
            if known is not None and known[0] != row.area:
                bad.append(Rejection(row.line, f"面积 {row.area} 与第 {known[1]} 行同一户的面积 {known[0]} 不一致"))
                continue
            areas.setdefault(row.hkey, (row.area, row.line))
        seen[(row.hkey, row.name)] = row.line
        good.append(row)
    if progress and len(rows) % 200:
        progress(len(rows) % 200)
    return good, bad


# Import -----------------------------------------------------------------------------------
@dataclass
class _Existing:
    points: dict[str, int] = field(default_factory=dict)
    buildings: dict[tuple[str, str], int] = field(default_factory=dict)
    units: dict[tuple[str, str, str], int] = field(default_factory=dict)
    households: dict[tuple[str, str, str, str], tuple[int, Decimal, str]] = field(default_factory=dict)
    entries: dict[tuple[int, str], tuple[int, str, str]] = field(default_factory=dict)  # id, hash, identity
    identities: dict[int, dict[str, str]] = field(default_factory=dict)


def _load(session: Session, community_id: int) -> _Existing:
    """Everything the comparison needs, in four queries."""
    ex = _Existing()
    places = session.execute(select(Place.id, Place.kind, Place.parent_id, Place.name)
                             .where(Place.community_id == community_id)).all()
    path: dict[int, tuple[str, ...]] = {}
    depth = {POINT: 0, BUILDING: 1, UNIT: 2}
    for kind in (POINT, BUILDING, UNIT):
        for p in places:
            if p.kind != kind:
                continue
            parent = () if p.parent_id is None else path.get(p.parent_id)
            if parent is not None and len(parent) == depth[kind]:
                path[p.id] = (*parent, p.name)
    for pid, key in path.items():
        if len(key) == 1:
            ex.points[key[0]] = pid
        elif len(key) == 2:
            ex.buildings[(key[0], key[1])] = pid
        else:
            ex.units[(key[0], key[1], key[2])] = pid
    for h in session.execute(select(Household.id, Household.unit_id, Household.room, Household.area,
                                    Household.tenure).where(Household.community_id == community_id)):
        unit = path.get(h.unit_id)
        if unit is not None and len(unit) == 3:
            ex.households[(*unit, h.room)] = (h.id, Decimal(h.area), h.tenure)
    q = (select(RosterEntry.id, RosterEntry.household_id, RosterEntry.name, RosterEntry.phone_hash,
                RosterEntry.identity)
         .join(Household, Household.id == RosterEntry.household_id)
         .where(Household.community_id == community_id))
    for e in session.execute(q):
        ex.entries[(e.household_id, e.name)] = (e.id, e.phone_hash, e.identity)
        ex.identities.setdefault(e.household_id, {})[e.name] = e.identity
    return ex


def import_roster(session: Session, rows: Sequence[RawRow], now: datetime, secret: str, *,
                  community_name: str = "社区", partial: bool = False,
                  progress: Progress | None = None) -> Report:
    """Import checked rows in the caller's transaction; see the module docstring."""
    report = Report(rows=len(rows))
    good, report.rejected = check_rows(rows, progress)
    report.rejected.sort(key=lambda r: r.line)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    community = default_community(session)
    ex = _load(session, community.id) if community else _Existing()
    hashes = {row.line: phone_hash(secret, row.phone) for row in good}

    status: dict[int, str] = {}
    file_area: dict[tuple[str, str, str, str], tuple[Decimal, int]] = {}
    file_identities: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for row in good:
        if row.area is not None:
            file_area.setdefault(row.hkey, (row.area, row.line))
        file_identities.setdefault(row.hkey, {})[row.name] = row.identity
        h = ex.households.get(row.hkey)
        e = ex.entries.get((h[0], row.name)) if h else None
        if e is None:
            status[row.line] = "added"
        elif e[1] != hashes[row.line] or e[2] != row.identity:
            status[row.line] = "changed"
        else:
            status[row.line] = "unchanged"

    household_updates: list[dict[str, object]] = []
    for hkey, names in file_identities.items():
        h = ex.households.get(hkey)
        if h is None:
            continue
        merged = {**ex.identities.get(h[0], {}), **names}
        tenure = OWNER if "业主" in merged.values() else TENANT
        area = file_area.get(hkey)
        if (area is not None and area[0] != h[1]) or tenure != h[2]:
            household_updates.append({"id": h[0], "area": area[0] if area else h[1], "tenure": tenure})
            if area is not None and area[0] != h[1] and status[area[1]] == "unchanged":
                status[area[1]] = "changed"   # the row that carries the new area
    for s in status.values():
        setattr(report, s, getattr(report, s) + 1)
    if report.rejected and not partial:
        return report
    report.applied = True
    if not household_updates and all(s == "unchanged" for s in status.values()):
        return report

    if community is None:
        community = Community(name=community_name, created_at=now)
        session.add(community)
        session.flush()
    _add_places(session, community.id, good, ex, report)
    _add_households(session, community.id, file_identities, file_area, ex, now, report)
    if household_updates:
        session.execute(update(Household), household_updates)
    new_entries, changed_entries = [], []
    for row in good:
        if status[row.line] == "unchanged":
            continue
        hid = ex.households[row.hkey][0]
        values = {"phone_last4": row.phone[-4:], "phone_masked": mask_phone(row.phone),
                  "phone_hash": hashes[row.line], "identity": row.identity, "updated_at": now}
        e = ex.entries.get((hid, row.name))
        if e is None:
            new_entries.append({"household_id": hid, "name": row.name, **values})
        elif e[1] != hashes[row.line] or e[2] != row.identity:
            changed_entries.append({"id": e[0], **values})
    if new_entries:
        session.execute(insert(RosterEntry), new_entries)
    if changed_entries:
        session.execute(update(RosterEntry), changed_entries)
    session.flush()
    return report


def _add_places(session: Session, community_id: int, good: list[Row], ex: _Existing,
                report: Report) -> None:
    """Create the missing points, then buildings, then units (a few hundred at most)."""
    for level in (1, 2, 3):
        fresh: dict[tuple[str, ...], Place] = {}
        for row in good:
            key = row.hkey[:level]
            known = {1: ex.points, 2: ex.buildings, 3: ex.units}[level]
            k = key[0] if level == 1 else key
            if k in known or key in fresh:
                continue
            point, *rest = key
            parent = None if level == 1 else (ex.points[point] if level == 2 else ex.buildings[(point, rest[0])])
            label = point + "".join(f"{v}{m}" for v, m in zip(rest, ("号楼", "单元"), strict=False))
            fresh[key] = Place(community_id=community_id, kind=(POINT, BUILDING, UNIT)[level - 1],
                               parent_id=parent, name=key[-1], label=label)
        if not fresh:
            continue
        session.add_all(fresh.values())
        session.flush()
        report.places_added += len(fresh)
        for key, place in fresh.items():
            if level == 1:
                ex.points[key[0]] = place.id
            elif level == 2:
                ex.buildings[(key[0], key[1])] = place.id
            else:
                ex.units[(key[0], key[1], key[2])] = place.id


def _add_households(session: Session, community_id: int, identities: dict[tuple[str, str, str, str], dict[str, str]],
                    areas: dict[tuple[str, str, str, str], tuple[Decimal, int]], ex: _Existing,
                    now: datetime, report: Report) -> None:
    params = []
    for hkey, names in identities.items():
        if hkey in ex.households:
            continue
        point, b, u, room = hkey
        params.append({
            "community_id": community_id, "point_id": ex.points[point], "building_id": ex.buildings[(point, b)],
            "unit_id": ex.units[(point, b, u)], "room": room, "label": f"{point}{b}号楼{u}单元{room}室",
            "area": areas[hkey][0] if hkey in areas else Decimal("0"),
            "tenure": OWNER if "业主" in names.values() else TENANT, "created_at": now})
    if not params:
        return
    by_unit = {uid: key for key, uid in ex.units.items()}
    result = session.execute(insert(Household).returning(Household.id, Household.unit_id, Household.room,
                                                         Household.area, Household.tenure), params)
    for h in result:
        ex.households[(*by_unit[h.unit_id], h.room)] = (h.id, Decimal(h.area), h.tenure)
    report.households_added += len(params)
