"""find_household / find_scope / households_in on a small imported roster: what each level
of the tree contains, with and without the 居民点, and ambiguous names refused."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from models.address import parse_address
from models.community import Household, community_scope, find_household, find_scope, households_in, in_scope
from tests.community.helpers import load_roster


@pytest.fixture
def session(app: Any) -> Any:
    load_roster(app)
    with app.extensions["linli"].factory() as s:
        yield s


def labels(s: Any, scope: Any) -> set[str]:
    return set(s.scalars(select(Household.label).where(Household.id.in_(households_in(scope)))))


@pytest.mark.parametrize("text,label", [
    ("3号楼2单元301", "黄巷新村3号楼2单元301室"),
    ("三号楼二单元301室", "黄巷新村3号楼2单元301室"),
    ("3-2-302", "黄巷新村3号楼2单元302室"),
    ("黄巷新村1号楼1单元101", "黄巷新村1号楼1单元101室"),
    ("东园1号楼1单元101", "东园1号楼1单元101室"),
    ("1号楼1单元101", None),          # in both 黄巷新村 and 东园: ambiguous, so no guess
    ("3号楼2单元999", None),
    ("黄巷新村5号楼2单元501", None),
])
def test_find_household(session: Any, text: str, label: str | None) -> None:
    h = find_household(session, parse_address(text))
    assert (h.label if h else None) == label


@pytest.mark.parametrize("text,kind,members", [
    ("黄巷新村", "point", {"黄巷新村3号楼2单元301室", "黄巷新村3号楼2单元302室", "黄巷新村3号楼1单元101室",
                          "黄巷新村5号楼1单元501室", "黄巷新村1号楼1单元101室"}),
    ("3号楼", "building", {"黄巷新村3号楼2单元301室", "黄巷新村3号楼2单元302室", "黄巷新村3号楼1单元101室"}),
    ("黄巷新村3号楼2单元", "unit", {"黄巷新村3号楼2单元301室", "黄巷新村3号楼2单元302室"}),
    ("三号楼一单元", "unit", {"黄巷新村3号楼1单元101室"}),
    ("东园1号楼", "building", {"东园1号楼1单元101室"}),
    ("3号楼2单元302", "household", {"黄巷新村3号楼2单元302室"}),
])
def test_find_scope_and_what_it_contains(session: Any, text: str, kind: str, members: set[str]) -> None:
    scope = find_scope(session, parse_address(text))
    assert scope is not None and scope.kind == kind
    assert labels(session, scope) == members


@pytest.mark.parametrize("text", ["1号楼", "9号楼", "光明小区"])
def test_ambiguous_or_absent_scopes_are_none(session: Any, text: str) -> None:
    assert find_scope(session, parse_address(text)) is None


def test_community_scope_holds_every_household_and_in_scope_agrees(session: Any) -> None:
    everyone = community_scope(session)
    assert everyone is not None and everyone.label == "黄巷社区"
    assert len(labels(session, everyone)) == 6
    unit = find_scope(session, parse_address("3号楼2单元"))
    inside = find_household(session, parse_address("3-2-301"))
    outside = find_household(session, parse_address("3-1-101"))
    assert in_scope(session, inside.id, unit) and not in_scope(session, outside.id, unit)
    assert in_scope(session, outside.id, everyone)
