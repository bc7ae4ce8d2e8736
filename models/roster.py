"""Roster import: spreadsheet rows → communities, places, households and roster entries,
idempotently.

`import_roster(session, rows, now, secret)` checks every row, compares it with what the
database holds (loaded once per community into dicts), and writes only the differences in
bulk. With any bad row nothing is written unless `partial` is set. Full phone numbers are
never stored: only the last four digits, a mask, and an HMAC keyed by the server secret.

Each row belongs to one community: the file's 社区 column, else the one named by the
caller (`community`, e.g. `--community`), else the only community there is (or a new one
named `community_name` in an empty database). With several communities and neither, the
import is refused with the names to choose from (RosterCommunityError).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from models.community import (BUILDING, OWNER, POINT, TENANT, UNIT, Community, Household, Place,
                              communities, community_named)
from models.people import RosterEntry, mask_phone
from models.roster_check import (Progress, Rejection, Row, check_row, check_rows,  # noqa: F401
                                 normalise_phone, phone_hash)
from models.roster_io import RawRow

_PG_LOCK = 4242_0003   # one roster import at a time on PostgreSQL


class RosterCommunityError(ValueError):
    """Rows that do not say which community they belong to, when that is not clear; or
    rows of another community than the one the import is limited to."""


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
    communities: list[str] = field(default_factory=list)        # the communities of the file
    communities_added: list[str] = field(default_factory=list)  # those created by this import


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

@dataclass
class _Group:
    """The rows of one community and what the comparison found for them."""

    name: str
    community: Community | None
    rows: list[Row]
    ex: _Existing
    status: dict[int, str] = field(default_factory=dict)
    areas: dict[tuple[str, str, str, str], tuple[Decimal, int]] = field(default_factory=dict)
    identities: dict[tuple[str, str, str, str], dict[str, str]] = field(default_factory=dict)
    updates: list[dict[str, object]] = field(default_factory=list)


def default_name(session: Session, community: str | None, community_name: str) -> str:
    """The community of rows without a 社区 cell; RosterCommunityError naming the choices
    when the database holds several and the caller named none."""
    if community and community.strip():
        return community.strip()
    known = communities(session)
    if not known:
        return community_name
    if len(known) == 1:
        return known[0].name
    names = "、".join(c.name for c in known)
    raise RosterCommunityError(f"数据库里有多个社区（{names}），请指明这份名册属于哪个社区"
                               "（--community 社区名，或在名册里加一列“社区”）")


def import_roster(session: Session, rows: Sequence[RawRow], now: datetime, secret: str, *,
                  community_name: str = "社区", community: str | None = None,
                  only_community: str | None = None, partial: bool = False,
                  progress: Progress | None = None) -> Report:
    """Import checked rows in the caller's transaction; see the module docstring.
    `only_community`: rows naming any other community are rejected (the console imports
    into the staff member's own community only)."""
    report = Report(rows=len(rows))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    blank = any(not (r.cells.get("社区") or "").strip() for r in rows)
    default = default_name(session, only_community or community, community_name) if blank else ""
    good, report.rejected = check_rows(rows, progress, default)
    if only_community:
        outside = [r for r in good if r.community != only_community]
        report.rejected += [Rejection(r.line, f"社区“{r.community}”不是您所在的社区（{only_community}）")
                            for r in outside]
        good = [r for r in good if r.community == only_community]
    report.rejected.sort(key=lambda r: r.line)
    hashes = {row.line: phone_hash(secret, row.phone) for row in good}
    groups = []
    for name in dict.fromkeys(r.community for r in good):
        c = community_named(session, name)
        g = _Group(name, c, [r for r in good if r.community == name], _load(session, c.id) if c else _Existing())
        _compare(g, hashes)
        groups.append(g)
    report.communities = [g.name for g in groups]
    for g in groups:
        for s in g.status.values():
            setattr(report, s, getattr(report, s) + 1)
    if report.rejected and not partial:
        return report
    report.applied = True
    for g in groups:
        if g.updates or any(s != "unchanged" for s in g.status.values()):
            _write(session, g, hashes, now, report)
    session.flush()
    return report


def _compare(g: _Group, hashes: dict[int, str]) -> None:
    """Which rows are new, changed or unchanged, and which households change area or tenure."""
    ex = g.ex
    for row in g.rows:
        if row.area is not None:
            g.areas.setdefault(row.hkey, (row.area, row.line))
        g.identities.setdefault(row.hkey, {})[row.name] = row.identity
        h = ex.households.get(row.hkey)
        e = ex.entries.get((h[0], row.name)) if h else None
        if e is None:
            g.status[row.line] = "added"
        elif e[1] != hashes[row.line] or e[2] != row.identity:
            g.status[row.line] = "changed"
        else:
            g.status[row.line] = "unchanged"
    for hkey, names in g.identities.items():
        h = ex.households.get(hkey)
        if h is None:
            continue
        merged = {**ex.identities.get(h[0], {}), **names}
        tenure = OWNER if "业主" in merged.values() else TENANT
        area = g.areas.get(hkey)
        if (area is not None and area[0] != h[1]) or tenure != h[2]:
            g.updates.append({"id": h[0], "area": area[0] if area else h[1], "tenure": tenure})
            if area is not None and area[0] != h[1] and g.status[area[1]] == "unchanged":
                g.status[area[1]] = "changed"   # the row that carries the new area


def _write(session: Session, g: _Group, hashes: dict[int, str], now: datetime, report: Report) -> None:
    if g.community is None:
        g.community = Community(name=g.name, created_at=now)
        session.add(g.community)
        session.flush()
        report.communities_added.append(g.name)
    ex = g.ex
    _add_places(session, g.community.id, g.rows, ex, report)
    _add_households(session, g.community.id, g.identities, g.areas, ex, now, report)
    if g.updates:
        session.execute(update(Household), g.updates)
    new_entries, changed_entries = [], []
    for row in g.rows:
        if g.status[row.line] == "unchanged":
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
