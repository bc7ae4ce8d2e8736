"""Tallies in the database: the eligibility snapshot, owners and area under the Civil Code,
abstentions, and convention versions."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from models.community import Scope
from models.db import transaction
from models.vote_tally import decide_vote, not_voted
from models.votes import Convention, Vote, VoteEligible, cast_ballot, create_vote
from notices.vote_jobs import close_vote, open_vote
from tests import factories as f
from tests.wechat_side import Transcript, WeChatSide

# room: (area m², tenure, verified resident?)
ROOMS = {"101": ("100", "owner", True), "102": ("100", "owner", True),
         "201": ("120", "owner", True), "202": ("80", "owner", True),
         "301": ("100", "owner", True), "302": ("100", "owner", True),
         "401": ("60", "tenant", True), "402": ("90", "owner", False)}


def build(app: Any, rule: str, special: bool = False, kind: str = "other") -> tuple[int, dict[str, int]]:
    linli = app.extensions["linli"]
    from tests.votes.conftest import base_clock
    now = base_clock(linli.settings.community.tz)
    with transaction(linli.factory) as s:
        ids = {}
        for room, (area, tenure, verified) in ROOMS.items():
            h = f.household(s, building="7", unit="1", room=room, area=area, tenure=tenure)
            ids[room] = h.id
            f.resident(s, f"o-7-{room}", h, verified=verified)
        unit = Scope("unit", h.unit_id, "黄巷新村7号楼1单元")
        v = create_vote(s, unit, "更换楼道大门", "用维修资金更换单元门", closes_at=now + timedelta(days=3),
                        now=now, rule=rule, special=special, kind=kind)
        open_vote(s, v, now, linli.settings.community.tz)
        return v.id, ids


def cast(app: Any, vid: int, ids: dict[str, int], ballots: dict[str, str]) -> None:
    with transaction(app.extensions["linli"].factory) as s:
        v = s.get(Vote, vid)
        for room, choice in ballots.items():
            cast_ballot(s, v, ids[room], choice, f"o-7-{room}", v.opens_at)


def test_snapshot_holds_verified_households_only(app: Any) -> None:
    vid, ids = build(app, "household")
    with app.extensions["linli"].factory() as s:
        eligible = set(s.scalars(select(VoteEligible.household_id).where(VoteEligible.vote_id == vid)))
        # 402 has no verified resident; the tenant household 401 votes under the household rule
        assert eligible == {ids[r] for r in ROOMS if r != "402"}
        assert len(not_voted(s, vid)) == 7


def test_household_verified_after_opening_is_outside_this_vote(app: Any) -> None:
    vid, ids = build(app, "household")
    with transaction(app.extensions["linli"].factory) as s:
        f.resident(s, "o-7-402", s.get(f.Household, ids["402"]), verified=True)
    Transcript(WeChatSide(app), "o-7-402").run([(f"投票 {vid} 同意", "不在本次表决范围")])


def test_civil_code_counts_owners_and_area_and_ignores_tenants(app: Any) -> None:
    vid, ids = build(app, "civil_code")
    # Owners eligible: 101 102 201 202 301 302 (6 owners, 600 m²); tenant 401 does not count.
    # 4 owners with 400 m² take part = exactly 2/3 of both (inclusive): a quorum.
    cast(app, vid, ids, {"101": "同意", "201": "同意", "202": "反对", "301": "弃权",
                         "401": "同意"})
    with app.extensions["linli"].factory() as s:
        decision, figures = decide_vote(s, s.get(Vote, vid))
    assert figures["eligible"] == {"households": 6, "area": "600.00"}
    assert figures["participated"] == {"households": 4, "area": "400.00"}
    # 同意: 2 of 4 owners is only half (not more) although 220 of 400 m² is more: failed
    assert figures["options"]["同意"] == {"households": 2, "area": "220.00"}
    assert decision.result == "failed" and decision.checks["approve_area"] is True
    assert decision.checks["approve_households"] is False


def test_civil_code_special_matter_needs_three_quarters(app: Any) -> None:
    vid, ids = build(app, "civil_code", special=True)
    cast(app, vid, ids, {"101": "同意", "102": "同意", "201": "同意", "202": "反对"})
    with app.extensions["linli"].factory() as s:
        decision, figures = decide_vote(s, s.get(Vote, vid))
    # 4 of 6 owners, 400 of 600 m² take part; 3 of 4 owners (=3/4) and 320 of 400 m² (4/5) agree
    assert decision.result == "passed", figures


def test_abstentions_count_for_participation_only(app: Any) -> None:
    vid, ids = build(app, "household")
    cast(app, vid, ids, {"101": "同意", "102": "弃权", "201": "弃权", "202": "弃权"})
    with app.extensions["linli"].factory() as s:
        decision, figures = decide_vote(s, s.get(Vote, vid))
    # 4 of 7 > 1/2 took part (abstaining counts), but 1 of 4 agreeing is no majority
    assert decision.quorum_met and decision.result == "failed"


def test_passed_conventions_are_versioned(app: Any) -> None:
    linli = app.extensions["linli"]
    tz = linli.settings.community.tz
    for _ in range(2):
        vid, ids = build(app, "household", kind="convention")
        cast(app, vid, ids, {"101": "同意", "102": "同意", "201": "同意", "202": "同意"})
        with transaction(linli.factory) as s:
            v = s.get(Vote, vid)
            close_vote(s, v, v.closes_at, tz)
            assert close_vote(s, v, v.closes_at, tz) is None      # a second close does nothing
    with linli.factory() as s:
        versions = s.scalars(select(Convention.version).order_by(Convention.version)).all()
    assert versions == [1, 2]
    Transcript(WeChatSide(app), "o-7-101").run([("公约", ["第2版", "用维修资金更换单元门"])])
