"""Casting ballots by chat: the household's ballot, replacement, refusals, free text."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from models.votes import Ballot, CurrentBallot
from tests.votes.conftest import Stairwell
from tests.wechat_side import Transcript, WeChatSide


def counted(st: Stairwell, vote_id: int) -> tuple[int, int]:
    with st.linli.factory() as s:
        cur = s.scalar(select(func.count()).select_from(CurrentBallot)
                       .where(CurrentBallot.vote_id == vote_id))
        audit = s.scalar(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote_id))
        return cur or 0, audit or 0


def test_cast_then_replaced_by_another_member(stairwell: Stairwell, wechat: WeChatSide) -> None:
    vid = stairwell.create()
    Transcript(wechat, "o-301").run([
        (f"投票 {vid} 同意", ["已为 301室 记录：同意", "可以改票"]),
    ])
    Transcript(wechat, "o-301b").run([
        (f"投票 {vid} 2", ["已为 301室 记录：反对"]),
        (f"表决 {vid}", ["已投 1/6 户", "反对 1户", "同意 0户", "［您家已投：反对］", "!您家：［"]),
    ])
    assert counted(stairwell, vid) == (1, 2)
    with stairwell.linli.factory() as s:
        rows = s.scalars(select(Ballot).where(Ballot.vote_id == vid).order_by(Ballot.id)).all()
        assert [(b.choice, b.superseded, b.cast_by) for b in rows] == [
            ("同意", True, "o-301"), ("反对", False, "o-301b")]


def test_list_and_numbered_choice(stairwell: Stairwell, wechat: WeChatSide) -> None:
    vid = stairwell.create()
    Transcript(wechat, "o-302").run([
        ("表决", [f"第{vid}号", "截止", "［您家未投］", f"投票 {vid} 同意"]),
        (f"投票 {vid}", ["回复 1 同意", "回复 2 反对", "回复 3 弃权"]),
        ("3", "已为 302室 记录：弃权"),
        ("表决", "［您家已投：弃权］"),
    ])


def test_refusals_name_the_reason(stairwell: Stairwell, wechat: WeChatSide) -> None:
    vid = stairwell.create()
    Transcript(wechat, "o-101").run([(f"投票 {vid} 同意", ["不在本次表决范围", "!已为"])])
    Transcript(wechat, "o-pending").run([(f"投票 {vid} 同意", ["审核", "!已为"])])
    Transcript(wechat, "o-stranger").run([(f"投票 {vid} 同意", ["绑定", "!已为"])])
    Transcript(wechat, "o-302").run([("投票 999 同意", "没有找到第999号表决")])
    assert counted(stairwell, vid) == (0, 0)


def test_closed_vote_refused(stairwell: Stairwell, wechat: WeChatSide, app: Any) -> None:
    vid = stairwell.create(hours=1)
    stairwell.now += timedelta(hours=2)   # after closing, before the job ran
    Transcript(wechat, "o-302").run([(f"投票 {vid} 同意", ["表决已结束", "!已为"])])
    stairwell.run_due(stairwell.now)
    Transcript(wechat, "o-302").run([(f"投票 {vid} 同意", ["表决已结束", "!已为"]),
                                     (f"表决 {vid}", ["结果", "参与户数不足"])])
    assert counted(stairwell, vid) == (0, 0)


def test_free_text_ballot_is_confirmed_first(stairwell: Stairwell, wechat: WeChatSide) -> None:
    vid = stairwell.create()
    Transcript(wechat, "o-401").run([
        ("公约那个我家同意", ["您是要", "同意", "楼道公约", "回复 1 确认"]),
    ])
    assert counted(stairwell, vid) == (0, 0)
    Transcript(wechat, "o-401").run([("1", "已为 401室 记录：同意")])
    assert counted(stairwell, vid) == (1, 1)
    Transcript(wechat, "o-402").run([("我家反对", "您是要"), ("2", "没有办理")])
    assert counted(stairwell, vid) == (1, 1)


def test_several_open_votes_ask_which(stairwell: Stairwell, wechat: WeChatSide) -> None:
    first = stairwell.create()
    second = stairwell.create(title="加装楼道扶手", hours=24)
    Transcript(wechat, "o-501").run([
        # which vote is asked before anything is confirmed, by the votes' own numbers
        ("我家同意", ["哪一项", f"第{first}号", f"第{second}号", "!您是要"]),
        (str(first), ["您是要", "501室", f"第{first}号", "楼道公约", "同意"]),
        ("1", "已为 501室 记录：同意"),
    ])
    with stairwell.linli.factory() as s:
        # answered with the convention vote's id, not its position in the list
        assert s.get(CurrentBallot, (first, stairwell.households["501"])) is not None
        assert s.get(CurrentBallot, (second, stairwell.households["501"])) is None


def test_convention_none_yet(stairwell: Stairwell, wechat: WeChatSide) -> None:
    Transcript(wechat, "o-301").run([("公约", "本楼道还没有通过的公约")])


def test_i_pick_one_after_the_ballot_push_votes_in_the_one_open_vote_once_confirmed(
        stairwell: Stairwell, wechat: WeChatSide) -> None:
    vid = stairwell.create()
    Transcript(wechat, "o-302").run([
        ("我选2", [f"第{vid}号", "反对", "回复 1"]),
        ("1", "已为 302室 记录：反对"),
        ("选第一个", "同意"), ("2", "!已为"),      # declined: the ballot stays 反对
    ])
    assert counted(stairwell, vid) == (1, 1)


def test_i_pick_one_with_no_open_vote_is_not_taken_for_a_ballot(stairwell: Stairwell, wechat: WeChatSide) -> None:
    Transcript(wechat, "o-302").run([("我选2", ["目前没有需要您家表决的事项", "!记录", "!您是要"])])


def test_a_ballot_confirmation_answered_with_the_choice_word_casts_it(stairwell: Stairwell, wechat: WeChatSide) -> None:
    vid = stairwell.create()
    Transcript(wechat, "o-302").run([
        ("我选1", [f"第{vid}号", "同意", "回复 1"]),
        ("同意", "已为 302室 记录：同意"),          # not the same question again
        ("我家反对", ["您是要", "反对"]),
        ("同意", "已为 302室 记录：同意"),          # the word now said wins
    ])
    assert counted(stairwell, vid) == (1, 2)


def test_i_pick_one_with_two_open_votes_asks_which_vote(stairwell: Stairwell, wechat: WeChatSide) -> None:
    first = stairwell.create()
    second = stairwell.create(title="楼道绿植摆放")
    Transcript(wechat, "o-302").run([
        ("我选2", ["哪一项", f"第{first}号", f"第{second}号"]),
        (str(second), ["楼道绿植摆放", "反对", "回复 1"]),
        ("1", "已为 302室 记录：反对"),
    ])
    assert counted(stairwell, second) == (1, 1) and counted(stairwell, first) == (0, 0)


def test_a_number_after_a_votes_detail_is_a_ballot_once_confirmed(stairwell: Stairwell, wechat: WeChatSide) -> None:
    vid = stairwell.create()
    Transcript(wechat, "o-302").run([
        (f"表决 {vid}", ["1 同意", "2 反对"]),
        ("2", ["您是要", "反对", "回复 1"]),
        ("1", "已为 302室 记录：反对"),
    ])
    assert counted(stairwell, vid) == (1, 1)
