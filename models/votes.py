"""Stairwell votes (楼道议事 / 表决), ballots with their audit trail, and conventions (楼道公约).

One counted ballot per household is enforced by the database: CurrentBallot has the
primary key (vote_id, household_id) and is written by an atomic upsert, so two members of
one household voting at once leave exactly one counted ballot on SQLite and PostgreSQL.
Every ballot ever cast stays in Ballot (the audit trail).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint, case, exists, func, insert, literal, select, update)
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow
from models.community import OWNER, Household, Scope, households_in
from models.resident import Resident

DEFAULT_OPTIONS = ["同意", "反对", "弃权"]
CONVENTION, OTHER = "convention", "other"
DRAFT, PROPOSED, OPEN, CLOSED, CANCELLED = "draft", "proposed", "open", "closed", "cancelled"


class Vote(Base):
    __tablename__ = "vote"
    __table_args__ = (Index("ix_vote_state_closes", "state", "closes_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(40), index=True)   # "unit:7"
    scope_label: Mapped[str] = mapped_column(String(160))
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(12), default=OTHER)     # convention / other
    options: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(DEFAULT_OPTIONS))
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    rule: Mapped[str] = mapped_column(String(12), default="household")
    special_matter: Mapped[bool] = mapped_column(Boolean, default=False)
    custom: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(12), default=DRAFT)
    result: Mapped[str | None] = mapped_column(String(12))           # passed / failed / no_quorum
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64), default="")  # openid or "cli"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_push_done: Mapped[bool] = mapped_column(Boolean, default=False)
    reminded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    result_pushed_at: Mapped[datetime | None]

    @property
    def scope(self) -> Scope:
        return Scope.from_key(self.scope_key, self.scope_label)

    @property
    def agree_option(self) -> str:
        """The option that counts as 同意 for the rule: the first one."""
        return self.options[0]

    @property
    def owners_only(self) -> bool:
        """Only owners vote (Civil Code art. 278, or a custom rule that says so)."""
        from models.vote_rules import rule_for

        return rule_for(self.rule, self.special_matter, self.custom).owners_only


class VoteEligible(Base):
    """The households that may vote, frozen when the vote opens (verified households in scope)."""

    __tablename__ = "vote_eligible"

    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"), primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    area: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    is_owner: Mapped[bool] = mapped_column(Boolean, default=True)


class Ballot(Base):
    """Every ballot ever cast (the audit trail); superseded once a later one replaced it."""

    __tablename__ = "ballot"
    __table_args__ = (Index("ix_ballot_vote_household", "vote_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    choice: Mapped[str] = mapped_column(String(40))
    cast_by: Mapped[str] = mapped_column(String(64))
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)


class CurrentBallot(Base):
    """The one counted ballot of a household in a vote (primary key = the invariant)."""

    __tablename__ = "current_ballot"

    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"), primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id"))
    choice: Mapped[str] = mapped_column(String(40))
    cast_at: Mapped[datetime]


class Convention(Base):
    """A 楼道公约 adopted by a vote; the current one of a scope is its highest version."""

    __tablename__ = "convention"
    __table_args__ = (UniqueConstraint("scope_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(40))
    scope_label: Mapped[str] = mapped_column(String(160))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"), unique=True)
    adopted_at: Mapped[datetime]


# Queries --------------------------------------------------------------------------------
def verified_households(scope: Scope) -> Any:
    """SELECT the households in scope with at least one verified resident."""
    verified = exists().where(Resident.household_id == Household.id,
                              Resident.status == "verified")
    return select(Household.id).where(Household.id.in_(households_in(scope)), verified)


def split_options(text: str) -> list[str]:
    """Options as staff type them: separated by commas (, or ，), 、 or ；."""
    for sep in ("，", "、", ";", "；"):
        text = text.replace(sep, ",")
    return [o.strip() for o in text.split(",") if o.strip()]


def kind_for_title(title: str) -> str:
    """A vote whose title names a 公约 adopts the stairwell's convention when it passes."""
    return CONVENTION if "公约" in title else OTHER


def is_eligible(session: Session, vote_id: int, household_id: int) -> bool:
    return session.get(VoteEligible, (vote_id, household_id)) is not None


def closed_by_clock(vote: Vote, now: datetime) -> bool:
    """Its closing time has passed (whatever its state): it must not open any more."""
    return vote.closes_at <= now


def why_not_voter(session: Session, vote: Vote, household_id: int) -> str | None:
    """None if this household's ballot counts; else "not_in_scope" or "owners_only" (a tenant
    household in a vote only owners take part in)."""
    row = session.get(VoteEligible, (vote.id, household_id))
    if row is None:
        return "not_in_scope"
    if vote.owners_only and not row.is_owner:
        return "owners_only"
    return None


def voter_ids(session: Session, vote: Vote) -> list[int]:
    """The households whose ballots count: the snapshot, owners only when the rule says so."""
    q = select(VoteEligible.household_id).where(VoteEligible.vote_id == vote.id)
    if vote.owners_only:
        q = q.where(VoteEligible.is_owner.is_(True))
    return list(session.scalars(q.order_by(VoteEligible.household_id)))


def open_votes_for(session: Session, household_id: int, now: datetime) -> list[Vote]:
    """Votes this household may vote in right now, soonest closing first (a tenant household
    is not offered votes that only owners take part in)."""
    q = (select(Vote, VoteEligible.is_owner).join(VoteEligible, VoteEligible.vote_id == Vote.id)
         .where(VoteEligible.household_id == household_id, Vote.state == OPEN,
                Vote.closes_at > now)
         .order_by(Vote.closes_at, Vote.id))
    return [v for v, is_owner in session.execute(q) if is_owner or not v.owners_only]


def recent_results_for(session: Session, household_id: int, now: datetime,
                       days: int = 60) -> list[Vote]:
    """Votes this household could take part in that closed with a result in the last `days`,
    latest first."""
    q = (select(Vote).join(VoteEligible, VoteEligible.vote_id == Vote.id)
         .where(VoteEligible.household_id == household_id, Vote.state == CLOSED,
                Vote.closes_at > now - timedelta(days=days))
         .order_by(Vote.closes_at.desc(), Vote.id.desc()).limit(5))
    return list(session.scalars(q))


def current_choice(session: Session, vote_id: int, household_id: int) -> str | None:
    row = session.get(CurrentBallot, (vote_id, household_id))
    return row.choice if row else None


def current_convention(session: Session, scope_keys: list[str]) -> Convention | None:
    """The highest version among the first of these scopes (finest first) that has one."""
    for key in scope_keys:
        found = session.scalars(select(Convention).where(Convention.scope_key == key)
                                .order_by(Convention.version.desc()).limit(1)).first()
        if found:
            return found
    return None


# Changes --------------------------------------------------------------------------------
def snapshot_eligibility(session: Session, vote: Vote) -> int:
    """Freeze the eligible households (one INSERT … SELECT); returns how many."""
    rows = (select(literal(vote.id, Integer), Household.id, Household.area,
                   case((Household.tenure == OWNER, True), else_=False))
            .where(Household.id.in_(verified_households(vote.scope))))
    session.execute(insert(VoteEligible).from_select(
        ["vote_id", "household_id", "area", "is_owner"], rows))
    return session.scalar(select(func.count()).select_from(VoteEligible)
                          .where(VoteEligible.vote_id == vote.id)) or 0


def cast_ballot(session: Session, vote: Vote, household_id: int, choice: str, openid: str,
                now: datetime) -> Ballot:
    """Record a ballot and make it the household's counted one (replacing any earlier)."""
    ballot = Ballot(vote_id=vote.id, household_id=household_id, choice=choice, cast_by=openid,
                    cast_at=now)
    session.add(ballot)
    session.flush()
    upsert = _insert_for(session)(CurrentBallot).values(
        vote_id=vote.id, household_id=household_id, ballot_id=ballot.id, choice=choice, cast_at=now)
    session.execute(upsert.on_conflict_do_update(
        index_elements=["vote_id", "household_id"],
        set_={"ballot_id": ballot.id, "choice": choice, "cast_at": now}))
    # Runs after the upsert took the row lock, so it sees every earlier committed ballot.
    session.execute(update(Ballot).where(
        Ballot.vote_id == vote.id, Ballot.household_id == household_id, Ballot.id != ballot.id,
        Ballot.superseded.is_(False)).values(superseded=True))
    return ballot


def _insert_for(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert
    return sqlite_insert


def claim(session: Session, vote_id: int, from_states: tuple[str, ...], to_state: str,
          **values: Any) -> bool:
    """Move a vote between states with one conditional UPDATE: True only for the winner."""
    done = session.execute(update(Vote).where(Vote.id == vote_id, Vote.state.in_(from_states))
                           .values(state=to_state, **values)).rowcount
    return bool(done)


def adopt_convention(session: Session, vote: Vote, now: datetime) -> Convention:
    version = (session.scalar(select(func.max(Convention.version))
                              .where(Convention.scope_key == vote.scope_key)) or 0) + 1
    conv = Convention(scope_key=vote.scope_key, scope_label=vote.scope_label, version=version,
                      title=vote.title, text=vote.text, vote_id=vote.id, adopted_at=now)
    session.add(conv)
    session.flush()
    return conv


def create_vote(session: Session, scope: Scope, title: str, text: str, *, closes_at: datetime,
                now: datetime, opens_at: datetime | None = None, rule: str = "household",
                special: bool = False, secret: bool = False, kind: str = OTHER,
                options: list[str] | None = None, custom: dict[str, Any] | None = None,
                created_by: str = "", proposed: bool = False) -> Vote:
    """A new vote, checked; it opens later (draft), or waits for staff (proposed).
    Raises ValueError with a message that names the field at fault."""
    from models.vote_rules import CUSTOM, rule_for

    opens_at = opens_at or now
    options = [o.strip() for o in (options or DEFAULT_OPTIONS) if o.strip()]
    if not title.strip():
        raise ValueError("title: 标题不能为空")
    if len(options) < 2 or len(set(options)) != len(options):
        raise ValueError("options: 至少两个互不相同的选项")
    if closes_at <= opens_at or closes_at <= now:
        raise ValueError("closes: 截止时间必须晚于开始时间和现在")
    if kind not in (CONVENTION, OTHER):
        raise ValueError(f"kind: {kind!r} 应为 convention 或 other")
    if rule == CUSTOM and not custom:
        raise ValueError("custom: custom 规则需要给出门槛")
    rule_for(rule, special, custom)   # raises ValueError naming the bad threshold
    vote = Vote(scope_key=scope.key, scope_label=scope.label, title=title.strip()[:120],
                text=text.strip(), kind=kind, options=options, opens_at=opens_at,
                closes_at=closes_at, rule=rule, special_matter=special, custom=custom,
                secret=secret, state=PROPOSED if proposed else DRAFT, created_by=created_by,
                created_at=now)
    session.add(vote)
    session.flush()
    return vote
