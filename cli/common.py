"""Helpers shared by the commands: the app's parts, clock parsing, and naming a community
or a scope (with --community when the database holds several communities)."""
from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from sqlalchemy.orm import Session

from models.address import AddressError, parse_address
from models.community import (Community, Place, Scope, communities, community_named,
                              community_of_key, community_scope, find_scope)


def linli():  # type: ignore[no-untyped-def]
    return current_app.extensions["linli"]


def parse_local(value: str | None, option: str = "--now") -> datetime:
    """'YYYY-MM-DD HH:MM' in the community's time zone → aware UTC; None → now."""
    if not value:
        return datetime.now(UTC)
    tz = linli().settings.community.tz
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=tz).astimezone(UTC)
        except ValueError:
            continue
    raise click.BadParameter(f"{value!r}: write it as YYYY-MM-DD HH:MM", param_hint=option)


WHOLE = ("", "全社区", "community", "all", "社区")
COMMUNITY_HELP = "the community (by name); needed when the database holds several"


def community_option(fn):  # type: ignore[no-untyped-def]
    return click.option("--community", "community_name", default=None, help=COMMUNITY_HELP)(fn)


def _names(known: list[Community]) -> str:
    return ", ".join(c.name for c in known)


def resolve_community(s: Session, name: str | None, *, required: bool = True) -> Community | None:
    """--community NAME → that community; without it, the only one. With several and no
    name: an error naming the choices (or None when not required: all communities)."""
    known = communities(s)
    if name and name.strip():
        found = community_named(s, name)
        if found is None:
            raise click.BadParameter(f"no community named {name!r}; choose one of: {_names(known) or '(none yet)'}",
                                     param_hint="--community")
        return found
    if len(known) == 1:
        return known[0]
    if not known:
        if required:
            raise click.UsageError("no community yet: import the roster first (flask roster import)")
        return None
    if not required:
        return None
    raise click.UsageError(f"this database holds {len(known)} communities: say which with "
                           f"--community NAME (one of: {_names(known)})")


def resolve_scope(s: Session, text: str | None, option: str = "--scope",
                  community: str | None = None) -> Scope:
    """全社区, a scope key (unit:7) or an address (3号楼, 3号楼2单元, 黄巷新村) → a Scope,
    inside the community named by --community (or the only one)."""
    text = (text or "").strip()
    if text in WHOLE:
        c = resolve_community(s, community)
        scope = community_scope(s, c.id) if c else None
        if scope is None:
            raise click.BadParameter("no community yet: import the roster first", param_hint=option)
        return scope
    if ":" in text:
        return _from_key(s, text, option, community)
    try:
        address = parse_address(text)
    except AddressError as exc:
        raise click.BadParameter(f"{text!r}: {exc.message}", param_hint=option) from None
    c = resolve_community(s, community, required=False)
    found = find_scope(s, address, c.id if c else None)
    if found is None and c is None:
        holders = [k for k in communities(s) if find_scope(s, address, k.id) is not None]
        if len(holders) > 1:
            raise click.UsageError(f"{text!r} is in {len(holders)} communities: say which with "
                                   f"--community NAME (one of: {_names(holders)})")
    if found is None:
        where = f" of {c.name}" if c is not None and len(communities(s)) > 1 else ""
        raise click.BadParameter(f"{text!r} names no place of the roster{where} (or more than one)",
                                 param_hint=option)
    return found


def _from_key(s: Session, text: str, option: str, community: str | None) -> Scope:
    try:
        scope = Scope.from_key(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a scope key like unit:7", param_hint=option) from None
    if community:
        c = resolve_community(s, community)
        if c is not None and community_of_key(s, scope.key) != c.id:
            raise click.BadParameter(f"{text!r} is not in {c.name}", param_hint=option)
    if scope.kind in ("point", "building", "unit"):
        place = s.get(Place, scope.id)
        if place is None:
            raise click.BadParameter(f"no place with id {scope.id}", param_hint=option)
        return Scope(scope.kind, scope.id, place.label)
    if scope.kind == "community":
        c = s.get(Community, scope.id)
        if c is None:
            raise click.BadParameter(f"no community with id {scope.id}", param_hint=option)
        return Scope("community", c.id, c.name)
    return scope


