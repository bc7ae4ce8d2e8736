"""Two members of one household voting at the same moment, through two app instances (two
worker processes), leave exactly one counted ballot and a complete audit trail."""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from models.db import transaction
from models.votes import Ballot, CurrentBallot, Vote, cast_ballot
from tests.votes.conftest import Stairwell
from tests.wechat_side import WeChatSide

ROUNDS = 15


def _invariant(st: Stairwell, vid: int, hid: int, casts: int) -> None:
    with st.linli.factory() as s:
        current = s.scalars(select(CurrentBallot).where(CurrentBallot.vote_id == vid,
                                                        CurrentBallot.household_id == hid)).all()
        assert len(current) == 1
        live = s.scalars(select(Ballot).where(Ballot.vote_id == vid, Ballot.household_id == hid,
                                              Ballot.superseded.is_(False))).all()
        assert [b.id for b in live] == [current[0].ballot_id]
        assert live[0].choice == current[0].choice
        assert s.scalar(select(func.count()).select_from(Ballot)
                        .where(Ballot.vote_id == vid)) == casts


def test_concurrent_ballots_in_two_workers_leave_one_counted(make_app: Any) -> None:
    first, second = make_app(), make_app()
    st = Stairwell(first)
    vid = st.create()
    hid = st.households["301"]
    factories = [first.extensions["linli"].factory, second.extensions["linli"].factory]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def member(i: int, openid: str, choice: str) -> None:
        try:
            for _ in range(ROUNDS):
                barrier.wait(timeout=20)
                with transaction(factories[i]) as s:
                    vote = s.get(Vote, vid)
                    assert vote is not None
                    cast_ballot(s, vote, hid, choice, openid, st.now)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=member, args=(0, "o-301", "同意")),
               threading.Thread(target=member, args=(1, "o-301b", "反对"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    _invariant(st, vid, hid, 2 * ROUNDS)


def test_concurrent_chat_ballots_through_two_apps(make_app: Any) -> None:
    first, second = make_app(), make_app()
    st = Stairwell(first)
    vid = st.create()
    sides = [WeChatSide(first), WeChatSide(second)]
    barrier = threading.Barrier(2)
    replies: list[str] = []

    def member(side: WeChatSide, openid: str, choice: str) -> None:
        for _ in range(5):
            barrier.wait(timeout=20)
            replies.append(side.say(openid, f"投票 {vid} {choice}"))

    threads = [threading.Thread(target=member, args=(sides[0], "o-301", "同意")),
               threading.Thread(target=member, args=(sides[1], "o-301b", "反对"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(replies) == 10 and all("已为 301室 记录" in r for r in replies), replies
    _invariant(st, vid, st.households["301"], 10)
