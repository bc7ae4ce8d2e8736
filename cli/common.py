"""Helpers shared by the commands: the app's parts and clock parsing."""
from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app


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
