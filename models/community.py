"""The cell structure 社区 → 居民点 → 楼栋 → 楼道/单元 → 家庭/户, and scopes over it.

A household row carries the ids of all its ancestors, so "is this household inside
that scope" is one indexed equality, whatever level the scope is at.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (ColumnElement, ForeignKey, Index, Numeric, Select, String, UniqueConstraint,
                        and_, cast, func, literal, or_, select)
from sqlalchemy.orm import InstrumentedAttribute, Mapped, Session, mapped_column

from models.address import Address
from models.base import Base, utcnow

POINT, BUILDING, UNIT = "point", "building", "unit"
SCOPE_KINDS = ("community", POINT, BUILDING, UNIT, "household")
OWNER, TENANT = "owner", "tenant"


class Community(Base):
    __tablename__ = "community"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Place(Base):
    """A 居民点, 楼栋 or 单元 (楼道); its parent is the level above (None for a point)."""

    __tablename__ = "place"
    __table_args__ = (UniqueConstraint("community_id", "kind", "parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("place.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))     # 黄巷新村 / "3" / "2"
    label: Mapped[str] = mapped_column(String(128))   # 黄巷新村3号楼2单元


class Household(Base):
    __tablename__ = "household"
    __table_args__ = (
        UniqueConstraint("unit_id", "room"),
        Index("ix_household_building", "building_id"),
        Index("ix_household_point", "point_id"),
        Index("ix_household_community", "community_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    point_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("place.id"), index=True)
    room: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(160))   # 黄巷新村3号楼2单元301室
    area: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    tenure: Mapped[str] = mapped_column(String(8), default=OWNER)   # owner / tenant
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Scope:
    """Any node of the tree: votes, meetings and bulletins each have one."""

    kind: str   # community / point / building / unit / household
    id: int
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SCOPE_KINDS:
            raise ValueError(f"unknown scope kind {self.kind!r}")

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def from_key(cls, key: str, label: str = "") -> Scope:
        kind, _, ident = key.partition(":")
        return cls(kind, int(ident), label)


_COLUMN = {"community": Household.community_id, POINT: Household.point_id,
           BUILDING: Household.building_id, UNIT: Household.unit_id, "household": Household.id}


def households_in(scope: Scope) -> Select[tuple[int]]:
    """SELECT the ids of the households inside a scope: one indexed equality."""
    return select(Household.id).where(_COLUMN[scope.kind] == scope.id)


def in_scope(session: Session, household_id: int, scope: Scope) -> bool:
    return session.scalar(households_in(scope).where(Household.id == household_id)) is not None


def scope_of_household(h: Household) -> dict[str, int]:
    """The household's ancestors as scope keys, for matching against many scopes at once."""
    return {"community": h.community_id, POINT: h.point_id, BUILDING: h.building_id,
            UNIT: h.unit_id, "household": h.id}


def contains(scope: Scope, h: Household) -> bool:
    return scope_of_household(h)[scope.kind] == scope.id


# Finding places from what people write ---------------------------------------------------
def default_community(session: Session) -> Community | None:
    return session.scalars(select(Community).order_by(Community.id)).first()


def find_household(session: Session, address: Address,
                   community_id: int | None = None) -> Household | None:
    """The household an address names (the point may be left out when unambiguous)."""
    found = households_matching(session, address, community_id, limit=2)
    return found[0] if len(found) == 1 else None


def households_matching(session: Session, address: Address, community_id: int | None = None,
                        limit: int = 6) -> list[Household]:
    """Every household an address could name: several when it leaves out a 居民点 (or the
    community) that would tell them apart."""
    if not (address.building and address.unit and address.room):
        return []
    q = (select(Household)
         .join(Place, Place.id == Household.unit_id)
         .where(Household.room == address.room, Place.name == address.unit))
    b = select(Place.id).where(Place.kind == BUILDING, Place.name == address.building)
    if address.point:
        p = select(Place.id).where(Place.kind == POINT, Place.name == address.point)
        b = b.where(Place.parent_id.in_(p))
    q = q.where(Place.parent_id.in_(b))
    if community_id is not None:
        q = q.where(Household.community_id == community_id)
    return list(session.scalars(q.order_by(Household.id).limit(limit)))


def find_scope(session: Session, address: Address, community_id: int | None = None) -> Scope | None:
    """The place (or household) an address names, as a scope; None if absent or ambiguous."""
    if address.level == "room":
        h = find_household(session, address, community_id)
        return Scope("household", h.id, h.label) if h else None
    chain = [(POINT, address.point), (BUILDING, address.building), (UNIT, address.unit)]
    parents: list[int] | None = None
    found: list[Place] = []
    for kind, name in chain:
        if name is None:
            if kind == POINT:
                continue
            break
        q = select(Place).where(Place.kind == kind, Place.name == name)
        if community_id is not None:
            q = q.where(Place.community_id == community_id)
        if parents is not None:
            q = q.where(Place.parent_id.in_(parents))
        found = list(session.scalars(q))
        if not found:
            return None
        parents = [p.id for p in found]
    if len(found) != 1:
        return None
    return Scope(found[0].kind, found[0].id, found[0].label)


def community_scope(session: Session, community_id: int | None = None) -> Scope | None:
    """The whole of one community as a scope (without an id: the oldest, for one-community use)."""
    c = session.get(Community, community_id) if community_id is not None else default_community(session)
    return Scope("community", c.id, c.name) if c else None


# Many communities in one database ---------------------------------------------------------
def communities(session: Session) -> list[Community]:
    return list(session.scalars(select(Community).order_by(Community.id)))


def community_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Community)) or 0


def only_community(session: Session) -> Community | None:
    """The community when the database holds exactly one (then nothing needs naming)."""
    found = list(session.scalars(select(Community).order_by(Community.id).limit(2)))
    return found[0] if len(found) == 1 else None


def community_named(session: Session, name: str) -> Community | None:
    return session.scalars(select(Community).where(Community.name == name.strip())).first()


def community_of_key(session: Session, scope_key: str) -> int | None:
    """The community a scope key ("unit:7", "community:2", ...) lies in; None if it names nothing."""
    try:
        scope = Scope.from_key(scope_key)
    except ValueError:
        return None
    if scope.kind == "community":
        return scope.id if session.get(Community, scope.id) is not None else None
    if scope.kind == "household":
        h = session.get(Household, scope.id)
        return h.community_id if h else None
    place = session.get(Place, scope.id)
    return place.community_id if place is not None and place.kind == scope.kind else None


def scope_key_in(column: InstrumentedAttribute[str] | ColumnElement[str],
                 community_id: int) -> ColumnElement[bool]:
    """SQL: a scope_key column (votes, meetings, bulletins, conventions) names a place of this
    community. The keys of its places are built in the query, so no row needs a new column."""
    place_keys = select(Place.kind + literal(":") + cast(Place.id, String)).where(
        Place.community_id == community_id)
    household_keys = select(literal("household:") + cast(Household.id, String)).where(
        Household.community_id == community_id)
    return or_(column == f"community:{community_id}", column.in_(place_keys),
               and_(column.like("household:%"), column.in_(household_keys)))
