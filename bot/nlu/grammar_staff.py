"""Canonical staff commands that read several slots from free text after the command."""

from __future__ import annotations

import re
from typing import Any

from .timeparse import find_when


def cluster_meeting(rest: str, word: str, now: Any) -> tuple[str, dict[str, Any], bool] | None:
    """转恳谈会 <热点编号> [时间] [地点]: a hot issue becomes an invitation meeting."""
    match = re.match(r"\s*第?\s*([0-9]+)\s*号?\s*(.*)$", rest, re.DOTALL)
    if not match:
        return "complaint.cluster_meeting", {}, True
    slots: dict[str, Any] = {"cluster": int(match[1])}
    tail = match[2].strip()
    when = find_when(tail, now) if tail else None
    if when is not None:
        slots.update(when.slots())
        tail = (tail[: when.start] + " " + tail[when.end:]).strip()
    place = tail.strip(" ,，;；在")
    if place:
        slots["place"] = place
    return "complaint.cluster_meeting", slots, True
