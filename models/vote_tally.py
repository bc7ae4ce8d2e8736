"""Tallies by SQL aggregation: COUNT/SUM grouped by choice over the counted ballots joined
to the eligibility snapshot (two indexed queries, whatever the number of households)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.vote_rules import Counts, Decision, decide, rule_for
from models.votes import CurrentBallot, Vote, VoteEligible

ZERO = Decimal("0")


@dataclass
class Group:
    households: int = 0
    area: Decimal = ZERO

    def add(self, n: int, area: Decimal | None) -> None:
        self.households += int(n)
        self.area += Decimal(area or 0)

    def as_json(self) -> dict[str, Any]:
        return {"households": self.households, "area": str(self.area)}


@dataclass
class Tally:
    """Eligible and participating households (and area) per option, for all and for owners."""

    eligible: Group = field(default_factory=Group)
    eligible_owners: Group = field(default_factory=Group)
    options: dict[str, Group] = field(default_factory=dict)
    owner_options: dict[str, Group] = field(default_factory=dict)

    def participated(self, owners_only: bool = False) -> Group:
        total = Group()
        for g in (self.owner_options if owners_only else self.options).values():
            total.add(g.households, g.area)
        return total

    def counts(self, agree: str, owners_only: bool) -> Counts:
        eligible = self.eligible_owners if owners_only else self.eligible
        part = self.participated(owners_only)
        agreed = (self.owner_options if owners_only else self.options).get(agree, Group())
        return Counts(eligible.households, eligible.area, part.households, part.area,
                      agreed.households, agreed.area)


def tally(session: Session, vote_id: int) -> Tally:
    t = Tally()
    for is_owner, n, area in session.execute(
            select(VoteEligible.is_owner, func.count(), func.sum(VoteEligible.area))
            .where(VoteEligible.vote_id == vote_id).group_by(VoteEligible.is_owner)):
        t.eligible.add(n, area)
        if is_owner:
            t.eligible_owners.add(n, area)
    q = (select(CurrentBallot.choice, VoteEligible.is_owner, func.count(),
                func.sum(VoteEligible.area))
         .join(VoteEligible, (VoteEligible.vote_id == CurrentBallot.vote_id)
               & (VoteEligible.household_id == CurrentBallot.household_id))
         .where(CurrentBallot.vote_id == vote_id)
         .group_by(CurrentBallot.choice, VoteEligible.is_owner))
    for choice, is_owner, n, area in session.execute(q):
        t.options.setdefault(choice, Group()).add(n, area)
        if is_owner:
            t.owner_options.setdefault(choice, Group()).add(n, area)
    return t


def participation(session: Session, vote_id: int, owners_only: bool = False) -> tuple[int, int]:
    """(households that voted, eligible households): all a secret vote shows before closing.
    `owners_only` (Vote.owners_only): counted as the result will be, owners' households only,
    so every screen shows the same figures as the chat."""
    owners = (VoteEligible.is_owner.is_(True),) if owners_only else ()
    eligible = session.scalar(select(func.count()).select_from(VoteEligible)
                              .where(VoteEligible.vote_id == vote_id, *owners)) or 0
    voted = session.scalar(
        select(func.count()).select_from(CurrentBallot)
        .join(VoteEligible, (VoteEligible.vote_id == CurrentBallot.vote_id)
              & (VoteEligible.household_id == CurrentBallot.household_id))
        .where(CurrentBallot.vote_id == vote_id, *owners)) or 0
    return voted, eligible


def not_voted(session: Session, vote_id: int) -> list[int]:
    """Eligible households without a counted ballot (for the reminder)."""
    voted = select(CurrentBallot.household_id).where(CurrentBallot.vote_id == vote_id)
    return list(session.scalars(select(VoteEligible.household_id).where(
        VoteEligible.vote_id == vote_id, VoteEligible.household_id.not_in(voted))
        .order_by(VoteEligible.household_id)))


def decide_vote(session: Session, vote: Vote) -> tuple[Decision, dict[str, Any]]:
    """Tally a vote by its rule; the figures are what the result shows (no household names)."""
    rule = rule_for(vote.rule, vote.special_matter, vote.custom)
    t = tally(session, vote.id)
    counts = t.counts(vote.agree_option, rule.owners_only)
    decision = decide(rule, counts)
    options = t.owner_options if rule.owners_only else t.options
    figures = {
        "rule": rule.as_json(), "special_matter": vote.special_matter,
        "owners_only": rule.owners_only,
        "eligible": {"households": counts.eligible, "area": str(counts.eligible_area)},
        "participated": {"households": counts.participated,
                         "area": str(counts.participated_area)},
        "options": {o: options.get(o, Group()).as_json() for o in vote.options},
        "checks": decision.checks,
    }
    return decision, figures
