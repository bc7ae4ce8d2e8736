"""Helpers shared by the commands: the app's parts and clock parsing."""
from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from sqlalchemy.orm import Session

from models.address import AddressError, parse_address
from models.community import Place, Scope, community_scope, find_scope


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


def resolve_scope(s: Session, text: str | None, option: str = "--scope") -> Scope:
    """全社区, a scope key (unit:7) or an address (3号楼, 3号楼2单元, 黄巷新村) → a Scope."""
    text = (text or "").strip()
    if text in WHOLE:
        scope = community_scope(s)
        if scope is None:
            raise click.BadParameter("no community yet: import the roster first", param_hint=option)
        return scope
    if ":" in text:
        try:
            scope = Scope.from_key(text)
        except ValueError:
            raise click.BadParameter(f"{text!r} is not a scope key like unit:7", param_hint=option) from None
        if scope.kind in ("point", "building", "unit"):
            place = s.get(Place, scope.id)
            if place is None:
                raise click.BadParameter(f"no place with id {scope.id}", param_hint=option)
            return Scope(scope.kind, scope.id, place.label)
        return scope
    try:
        found = find_scope(s, parse_address(text))
    except AddressError as exc:
        raise click.BadParameter(f"{text!r}: {exc.message}", param_hint=option) from None
    if found is None:
        raise click.BadParameter(f"{text!r} names no place of the roster (or more than one)", param_hint=option)
    return found
