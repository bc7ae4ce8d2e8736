"""Vote rules of PRODUCT §5 as data, and the decision as a pure function over counts.

Thresholds are exact fractions, never floats: "以上 / 不少于" includes the boundary
(4 of 6 is 2/3 and counts), "过半 / 超过" does not (3 of 6 is not more than half).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

HOUSEHOLD, CIVIL_CODE, CUSTOM = "household", "civil_code", "custom"
RULES = (HOUSEHOLD, CIVIL_CODE, CUSTOM)
PASSED, FAILED, NO_QUORUM = "passed", "failed", "no_quorum"

Number = int | Decimal | Fraction


@dataclass(frozen=True)
class Threshold:
    """part/whole must reach `fraction` (inclusive: ≥, 以上/不少于) or pass it (strict: >, 过半/超过)."""

    fraction: Fraction
    inclusive: bool

    def met(self, part: Number, whole: Number) -> bool:
        if whole <= 0:
            return False   # nobody to count: never a quorum, never a majority
        ratio = Fraction(part) / Fraction(whole)
        return ratio >= self.fraction if self.inclusive else ratio > self.fraction

    def as_json(self) -> list[str]:
        return [str(self.fraction), "inclusive" if self.inclusive else "strict"]

    @classmethod
    def from_json(cls, value: Any) -> Threshold | None:
        """["2/3", "inclusive"] or {"fraction": "1/2", "inclusive": false}; None stays None."""
        if value is None:
            return None
        if isinstance(value, dict):
            frac, inclusive = value["fraction"], bool(value.get("inclusive", False))
        else:
            frac, mode = value
            if mode not in ("inclusive", "strict"):
                raise ValueError(f"threshold mode {mode!r}: use inclusive or strict")
            inclusive = mode == "inclusive"
        fraction = Fraction(str(frac))
        if not 0 <= fraction <= 1:
            raise ValueError(f"threshold {frac!r} must be between 0 and 1")
        return cls(fraction, inclusive)


def more_than(frac: str) -> Threshold:
    return Threshold(Fraction(frac), inclusive=False)


def at_least(frac: str) -> Threshold:
    return Threshold(Fraction(frac), inclusive=True)


@dataclass(frozen=True)
class Rule:
    """Who counts (owners only under the Civil Code) and the quorum and approval thresholds,
    each by households (one unit = one owner) and optionally by exclusive floor area."""

    name: str
    owners_only: bool = False
    quorum_households: Threshold | None = None
    quorum_area: Threshold | None = None
    approve_households: Threshold | None = None
    approve_area: Threshold | None = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "owners_only": self.owners_only,
                "quorum": {"households": _j(self.quorum_households), "area": _j(self.quorum_area)},
                "approve": {"households": _j(self.approve_households),
                            "area": _j(self.approve_area)}}


def _j(t: Threshold | None) -> list[str] | None:
    return t.as_json() if t else None


# Urban Residents' Committee Organic Law, one representative per household: more than half
# of the eligible households take part; more than half of those taking part agree.
HOUSEHOLD_RULE = Rule(HOUSEHOLD, quorum_households=more_than("1/2"),
                      approve_households=more_than("1/2"))
# PRC Civil Code art. 278: owners of at least 2/3 of the area and at least 2/3 of the owners
# take part; more than half of both (ordinary) or at least 3/4 of both (special matters) agree.
CIVIL_CODE_RULE = Rule(CIVIL_CODE, owners_only=True,
                       quorum_households=at_least("2/3"), quorum_area=at_least("2/3"),
                       approve_households=more_than("1/2"), approve_area=more_than("1/2"))
CIVIL_CODE_SPECIAL_RULE = Rule(CIVIL_CODE, owners_only=True,
                               quorum_households=at_least("2/3"), quorum_area=at_least("2/3"),
                               approve_households=at_least("3/4"), approve_area=at_least("3/4"))


def rule_for(name: str, special: bool = False, custom: dict[str, Any] | None = None) -> Rule:
    """The rule a vote uses; custom thresholds come from the vote's JSON."""
    if name == HOUSEHOLD:
        return HOUSEHOLD_RULE
    if name == CIVIL_CODE:
        return CIVIL_CODE_SPECIAL_RULE if special else CIVIL_CODE_RULE
    if name == CUSTOM:
        return custom_rule(custom or {})
    raise ValueError(f"unknown rule {name!r}: use one of {', '.join(RULES)}")


def custom_rule(data: dict[str, Any]) -> Rule:
    """{"quorum": {"households": ["1/2","strict"], "area": null},
        "approve": {"households": ["2/3","inclusive"], "area": null}, "owners_only": false}"""
    quorum, approve = data.get("quorum") or {}, data.get("approve") or {}
    rule = Rule(CUSTOM, owners_only=bool(data.get("owners_only", False)),
                quorum_households=Threshold.from_json(quorum.get("households")),
                quorum_area=Threshold.from_json(quorum.get("area")),
                approve_households=Threshold.from_json(approve.get("households")),
                approve_area=Threshold.from_json(approve.get("area")))
    if rule.approve_households is None and rule.approve_area is None:
        raise ValueError("a custom rule needs an approval threshold by households or by area")
    return rule


@dataclass(frozen=True)
class Counts:
    """What a tally found, for the households the rule counts (owners only under the Civil Code)."""

    eligible: int
    eligible_area: Decimal
    participated: int
    participated_area: Decimal
    agreed: int
    agreed_area: Decimal


@dataclass(frozen=True)
class Decision:
    result: str                      # passed / failed / no_quorum
    quorum_met: bool
    approved: bool
    checks: dict[str, bool] = field(default_factory=dict)   # which threshold held


def decide(rule: Rule, c: Counts) -> Decision:
    """Quorum first (abstentions count as taking part), then approval among participants."""
    checks: dict[str, bool] = {}
    if rule.quorum_households:
        checks["quorum_households"] = rule.quorum_households.met(c.participated, c.eligible)
    if rule.quorum_area:
        checks["quorum_area"] = rule.quorum_area.met(c.participated_area, c.eligible_area)
    if rule.approve_households:
        checks["approve_households"] = rule.approve_households.met(c.agreed, c.participated)
    if rule.approve_area:
        checks["approve_area"] = rule.approve_area.met(c.agreed_area, c.participated_area)
    # Without any quorum threshold, somebody must still have taken part.
    quorum = all(v for k, v in checks.items() if k.startswith("quorum")) and c.participated > 0
    approved = all(v for k, v in checks.items() if k.startswith("approve"))
    if not quorum:
        return Decision(NO_QUORUM, False, False, checks)
    return Decision(PASSED if approved else FAILED, True, approved, checks)
