"""The vote rules of PRODUCT §5 as tables: each case with the reason it is what it is."""
from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest

from models.vote_rules import (CIVIL_CODE_RULE, CIVIL_CODE_SPECIAL_RULE, FAILED, HOUSEHOLD_RULE,
                               NO_QUORUM, PASSED, Counts, Threshold, custom_rule, decide,
                               rule_for)


def hh(eligible: int, participated: int, agreed: int) -> Counts:
    """Household counts without area (the household rule ignores area)."""
    return Counts(eligible, D(0), participated, D(0), agreed, D(0))


def cc(owners: int, area: str, part: int, part_area: str, yes: int, yes_area: str) -> Counts:
    return Counts(owners, D(area), part, D(part_area), yes, D(yes_area))


HOUSEHOLD_CASES = [
    # (counts, expected, reason)
    (hh(6, 4, 3), PASSED, "4 of 6 took part (> 1/2); 3 of 4 agreed (> 1/2)"),
    (hh(6, 3, 3), NO_QUORUM, "3 of 6 is exactly half, not more than half (过半 is strict)"),
    (hh(6, 4, 2), FAILED, "2 of 4 agreed is exactly half, not more than half"),
    (hh(7, 4, 3), PASSED, "4 of 7 > 1/2; 3 of 4 > 1/2"),
    (hh(6, 6, 3), FAILED, "all took part, 3 of 6 agreed is only half"),
    (hh(5, 3, 2), PASSED, "3 of 5 > 1/2; 2 of 3 > 1/2"),
    (hh(6, 4, 0), FAILED, "4 took part, all abstained: abstentions count for the quorum, not for 同意"),
    (hh(0, 0, 0), NO_QUORUM, "no eligible household: never a quorum (no division by zero)"),
    (hh(1, 1, 1), PASSED, "one eligible household that agrees: 1 of 1 > 1/2"),
    (hh(1, 0, 0), NO_QUORUM, "nobody voted"),
]


@pytest.mark.parametrize(("counts", "expected", "reason"), HOUSEHOLD_CASES,
                         ids=[c[2] for c in HOUSEHOLD_CASES])
def test_household_rule(counts: Counts, expected: str, reason: str) -> None:
    assert decide(HOUSEHOLD_RULE, counts).result == expected, reason


# Civil Code: counts are of OWNERS only (the tally drops tenants before this point).
CIVIL_CASES = [
    (cc(6, "600", 4, "400", 3, "300"), PASSED,
     "4 of 6 owners and 400 of 600 m² are exactly 2/3 and count (不少于 is inclusive); "
     "3 of 4 owners and 300 of 400 m² agree (> 1/2)"),
    (cc(6, "600", 4, "399.99", 3, "300"), NO_QUORUM,
     "4 of 6 owners but 399.99 of 600 m² is just under 2/3 of the area"),
    (cc(6, "600", 3, "500", 3, "500"), NO_QUORUM,
     "500 of 600 m² is enough area but 3 of 6 owners is under 2/3 of the owners"),
    (cc(6, "600", 4, "400", 2, "210"), FAILED,
     "2 of 4 owners agree is exactly half, not more (超过 is strict) although area is > 1/2"),
    (cc(6, "600", 4, "400", 3, "200"), FAILED,
     "area tie: 200 of 400 m² agreeing is exactly half, not more than half"),
    (cc(6, "600", 4, "400", 3, "200.01"), PASSED, "200.01 of 400 m² is just over half"),
    (cc(9, "900", 6, "600", 4, "400"), PASSED, "6 of 9 = 2/3 counts; 4 of 6 agree > 1/2"),
    (cc(0, "0", 0, "0", 0, "0"), NO_QUORUM, "a stairwell of tenants only has no owners to decide"),
]


@pytest.mark.parametrize(("counts", "expected", "reason"), CIVIL_CASES, ids=[c[2][:60] for c in CIVIL_CASES])
def test_civil_code_ordinary(counts: Counts, expected: str, reason: str) -> None:
    assert decide(CIVIL_CODE_RULE, counts).result == expected, reason


SPECIAL_CASES = [
    (cc(8, "800", 8, "800", 6, "600"), PASSED, "6 of 8 owners and 600 of 800 m² are exactly 3/4: 以上 counts"),
    (cc(8, "800", 8, "800", 6, "599"), FAILED, "599 of 800 m² is under 3/4 of the participating area"),
    (cc(8, "800", 8, "800", 5, "700"), FAILED, "5 of 8 owners is under 3/4 although the area is over"),
    (cc(6, "600", 4, "400", 3, "300"), PASSED, "3 of 4 participating owners and area = 3/4 exactly"),
    (cc(6, "600", 3, "300", 3, "300"), NO_QUORUM, "3 of 6 owners is under the 2/3 quorum"),
]


@pytest.mark.parametrize(("counts", "expected", "reason"), SPECIAL_CASES, ids=[c[2][:60] for c in SPECIAL_CASES])
def test_civil_code_special_matters(counts: Counts, expected: str, reason: str) -> None:
    assert decide(CIVIL_CODE_SPECIAL_RULE, counts).result == expected, reason


def test_civil_code_counts_owners_only() -> None:
    # Why: tenants do not vote under art. 278; the rule says so and the tally obeys it.
    assert CIVIL_CODE_RULE.owners_only and not HOUSEHOLD_RULE.owners_only
    assert rule_for("civil_code", special=True) is CIVIL_CODE_SPECIAL_RULE


CUSTOM = {"quorum": {"households": ["1/2", "inclusive"], "area": None},
          "approve": {"households": ["2/3", "inclusive"], "area": ["1/2", "strict"]}}
CUSTOM_CASES = [
    (cc(6, "600", 3, "300", 2, "151"), PASSED,
     "custom quorum 1/2 inclusive: 3 of 6 counts; 2 of 3 = 2/3 inclusive; 151 of 300 m² > 1/2"),
    (cc(6, "600", 3, "300", 2, "150"), FAILED, "custom area approval is strict: 150 of 300 is only half"),
    (cc(6, "600", 2, "300", 2, "300"), NO_QUORUM, "2 of 6 households is under the 1/2 quorum"),
    (cc(6, "600", 3, "300", 1, "299"), FAILED, "1 of 3 households is under 2/3"),
]


@pytest.mark.parametrize(("counts", "expected", "reason"), CUSTOM_CASES, ids=[c[2][:60] for c in CUSTOM_CASES])
def test_custom_rule(counts: Counts, expected: str, reason: str) -> None:
    assert decide(custom_rule(CUSTOM), counts).result == expected, reason


@pytest.mark.parametrize(("bad", "why"), [
    ({"approve": {}}, "no approval threshold"),
    ({"approve": {"households": ["3/2", "strict"]}}, "a fraction above 1"),
    ({"approve": {"households": ["1/2", "maybe"]}}, "an unknown mode"),
])
def test_custom_rule_rejects_bad_thresholds(bad: dict, why: str) -> None:
    with pytest.raises(ValueError):
        custom_rule(bad)


def test_thresholds_are_exact_not_floating_point() -> None:
    # Why: 2/3 as a float is 0.666…; 4/6 must equal it exactly, and so must areas in Decimal.
    assert Threshold(Fraction(2, 3), inclusive=True).met(4, 6)
    assert not Threshold(Fraction(2, 3), inclusive=False).met(4, 6)
    assert Threshold(Fraction(2, 3), inclusive=True).met(D("200.00"), D("300.00"))
    assert not Threshold(Fraction(1, 2), inclusive=False).met(3, 6)
    assert Threshold(Fraction(1, 3), inclusive=True).met(D("0.1"), D("0.3"))
