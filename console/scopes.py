"""The scopes a staff member can pick in a form (their community, then each point,
building and stairwell of it), and reading one back from its key."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.community import BUILDING, POINT, UNIT, Place, Scope, community_scope

KIND_ORDER = {POINT: 0, BUILDING: 1, UNIT: 2}


def choices(session: Session, community_id: int | None = None) -> list[tuple[str, str]]:
    """(key, label) for every scope of the community, the whole community first."""
    out: list[tuple[str, str]] = []
    c = community_scope(session, community_id)
    if c is not None:
        out.append((c.key, f"全社区（{c.label}）"))
    q = select(Place).where(Place.kind.in_(KIND_ORDER))
    if c is not None:
        q = q.where(Place.community_id == c.id)
    for p in sorted(session.scalars(q), key=lambda p: (p.label, KIND_ORDER[p.kind])):
        out.append((f"{p.kind}:{p.id}", p.label))
    return out


def from_form(session: Session, key: str, community_id: int | None = None) -> Scope | None:
    """The scope behind a submitted key, or None when it is not one of the community's."""
    for k, label in choices(session, community_id):
        if k == key:
            return Scope.from_key(k, label.removeprefix("全社区（").removesuffix("）"))
    return None
