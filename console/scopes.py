"""The scopes a staff member can pick in a form (the community, then each point, building
and stairwell), and reading one back from its key."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.community import BUILDING, POINT, UNIT, Place, Scope, community_scope

KIND_ORDER = {POINT: 0, BUILDING: 1, UNIT: 2}


def choices(session: Session) -> list[tuple[str, str]]:
    """(key, label) for every scope, the whole community first."""
    out: list[tuple[str, str]] = []
    c = community_scope(session)
    if c is not None:
        out.append((c.key, f"全社区（{c.label}）"))
    places = session.scalars(select(Place).where(Place.kind.in_(KIND_ORDER)))
    for p in sorted(places, key=lambda p: (p.label, KIND_ORDER[p.kind])):
        out.append((f"{p.kind}:{p.id}", p.label))
    return out


def from_form(session: Session, key: str) -> Scope | None:
    """The scope behind a submitted key, or None when it is not one of ours."""
    for k, label in choices(session):
        if k == key:
            return Scope.from_key(k, label.removeprefix("全社区（").removesuffix("）"))
    return None
