"""Scheduled jobs of votes: open (snapshot + push), remind once, close (tally, result push
once, convention). Each vote moves state by one conditional UPDATE, so running a job twice
at the same clock, or in two processes, does nothing new."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handlers.vote_texts import (OUTCOME, TEXTS, figures_text, local_text, numbered_choices,
                                 shorten)
from models.db import transaction
from models.vote_rules import PASSED
from models.vote_tally import decide_vote, not_voted
from models.votes import (CANCELLED, CLOSED, CONVENTION, DRAFT, OPEN, PROPOSED, Vote,
                          adopt_convention, claim, closed_by_clock,
                          snapshot_eligibility, voter_ids)
from notices.fanout import push_to_households, push_to_scope
from notices.jobs import JobEnv, job

REMIND_BEFORE = timedelta(hours=24)
KIND = "vote"


def remind_at(vote: Vote) -> datetime:
    """24 h before closing; for votes of less than two days, at half-time."""
    length = vote.closes_at - vote.opens_at
    if length >= 2 * REMIND_BEFORE:
        return vote.closes_at - REMIND_BEFORE
    return vote.opens_at + length / 2


def open_vote(session: Session, vote: Vote, now: datetime, tz: Any) -> list[int] | None:
    """Open a draft vote: freeze who may vote and tell them. None if someone else opened it."""
    if not claim(session, vote.id, (DRAFT,), OPEN, opened_push_done=True):
        return None
    session.refresh(vote)
    snapshot_eligibility(session, vote)
    text = TEXTS["opened"].format(
        id=vote.id, title=vote.title, scope=vote.scope_label, text=shorten(vote.text),
        closes=local_text(vote.closes_at, tz), choices=numbered_choices(vote.id, vote.options),
        secret=TEXTS["secret_note"] if vote.secret else "")
    # Under an owners-only rule a tenant household gets no ballot (its ballot would not count).
    return push_to_households(session, voter_ids(session, vote), text,
                              notice_key=f"vote:{vote.id}:open", kind=KIND, now=now)


def confirm_proposal(session: Session, vote: Vote, now: datetime, tz: Any) -> list[int] | None:
    """Staff confirm a stairwell head's proposal: it opens now (or at its opening time).
    None if it is not a proposal, or its closing time has passed (it needs extending first)."""
    if closed_by_clock(vote, now) or not claim(session, vote.id, (PROPOSED,), DRAFT):
        return None
    session.refresh(vote)
    if vote.opens_at <= now:
        return open_vote(session, vote, now, tz) or []
    return []


def remind_vote(session: Session, vote: Vote, now: datetime, tz: Any) -> list[int] | None:
    done = session.execute(update(Vote).where(Vote.id == vote.id, Vote.state == OPEN,
                                              Vote.reminded_at.is_(None))
                           .values(reminded_at=now)).rowcount
    if not done:
        return None
    text = TEXTS["reminder"].format(id=vote.id, title=vote.title,
                                    closes=local_text(vote.closes_at, tz),
                                    choices=numbered_choices(vote.id, vote.options))
    voters = set(voter_ids(session, vote))
    return push_to_households(session, [h for h in not_voted(session, vote.id) if h in voters], text,
                              notice_key=f"vote:{vote.id}:remind", kind=KIND, now=now)


def close_vote(session: Session, vote: Vote, now: datetime, tz: Any) -> list[int] | None:
    """Tally, record the result, push it to every household in scope once, adopt a convention."""
    if not claim(session, vote.id, (OPEN,), CLOSED, closed_at=now):
        return None
    session.refresh(vote)
    decision, figures = decide_vote(session, vote)
    vote.result, vote.figures, vote.result_pushed_at = decision.result, figures, now
    adopted = vote.kind == CONVENTION and decision.result == PASSED
    if adopted:
        adopt_convention(session, vote, now)
    text = TEXTS["result"].format(id=vote.id, title=vote.title, outcome=OUTCOME[decision.result],
                                  figures=figures_text(figures, vote.options),
                                  convention=TEXTS["result_convention"] if adopted else "")
    return push_to_scope(session, vote.scope, text, notice_key=f"vote:{vote.id}:result",
                         kind=KIND, now=now)


def cancel_vote(session: Session, vote: Vote, now: datetime) -> list[int] | None:
    """Cancel a vote that has not closed; the households that could vote are told (a draft or
    a proposal was never announced: nobody to tell). None if it closed or was cancelled."""
    was_open = vote.state == OPEN
    if not claim(session, vote.id, (DRAFT, PROPOSED, OPEN), CANCELLED, closed_at=now):
        return None
    if not was_open:
        return []
    return push_to_households(session, voter_ids(session, vote),
                              TEXTS["push_cancelled"].format(id=vote.id, title=vote.title),
                              notice_key=f"vote:{vote.id}:cancel", kind=KIND, now=now)


def extend_refusal(vote: Vote, closes_at: datetime, now: datetime) -> str | None:
    """Why this vote cannot close at `closes_at` (a TEXTS key), or None."""
    if vote.state not in (DRAFT, PROPOSED, OPEN):
        return "extend_not_open"
    if closes_at <= max(now, vote.opens_at):
        return "extend_too_early"
    return None


def extend_vote(session: Session, vote: Vote, closes_at: datetime, now: datetime,
                tz: Any) -> list[int] | None:
    """Move the closing time; an open vote's households are told the new deadline (once per
    deadline), and get a reminder again before it. None if refused (see extend_refusal)."""
    if extend_refusal(vote, closes_at, now) is not None:
        return None
    done = session.execute(update(Vote).where(Vote.id == vote.id, Vote.state.in_((DRAFT, PROPOSED, OPEN)))
                           .values(closes_at=closes_at)).rowcount
    if not done:
        return None
    session.refresh(vote)
    if vote.state != OPEN:
        return []
    if vote.reminded_at is not None and remind_at(vote) > now:
        vote.reminded_at = None   # the reminder went out for the old deadline
    text = TEXTS["push_extended"].format(id=vote.id, title=vote.title,
                                         closes=local_text(closes_at, tz))
    stamp = int(closes_at.timestamp())
    return push_to_households(session, voter_ids(session, vote), text,
                              notice_key=f"vote:{vote.id}:extend:{stamp}", kind=KIND, now=now)


def _each(env: JobEnv, now: datetime, query: Any, step: Any) -> int:
    """Run `step` per vote, one transaction each (one bad vote does not hold up the rest)."""
    with env.factory() as s:
        ids = list(s.scalars(query))
    done = 0
    tz = env.settings.community.tz
    for vote_id in ids:
        with transaction(env.factory) as s:
            vote = s.get(Vote, vote_id)
            if vote is not None and step(s, vote, now, tz) is not None:
                done += 1
    return done


@job("votes.open", order=10)
def open_due(env: JobEnv, now: datetime) -> int:
    """Open votes whose opening time has come: snapshot the households, push the ballot."""
    return _each(env, now, select(Vote.id).where(Vote.state == DRAFT, Vote.opens_at <= now)
                 .order_by(Vote.id), open_vote)


@job("votes.remind", order=15)
def remind_due(env: JobEnv, now: datetime) -> int:
    """Remind households that have not voted, once per vote, before closing."""
    with env.factory() as s:
        ids = [v.id for v in s.scalars(select(Vote).where(
            Vote.state == OPEN, Vote.reminded_at.is_(None), Vote.closes_at > now))
            if remind_at(v) <= now]
    return _each(env, now, select(Vote.id).where(Vote.id.in_(ids)), remind_vote) if ids else 0


@job("votes.close", order=20)
def close_due(env: JobEnv, now: datetime) -> int:
    """Close votes at their closing time: tally, record, push the result once."""
    return _each(env, now, select(Vote.id).where(Vote.state == OPEN, Vote.closes_at <= now)
                 .order_by(Vote.id), close_vote)
