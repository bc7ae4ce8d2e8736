"""Scheduled behaviour seen from the residents' phones: the opening push, one reminder to
households that have not voted, the result pushed once, and the convention that follows."""
from __future__ import annotations

from datetime import timedelta

from models.votes import CLOSED, OPEN
from tests.votes.conftest import ROOMS, Stairwell
from tests.wechat_side import Transcript


def test_opening_push_reaches_every_verified_resident_in_scope(live_stairwell: Stairwell) -> None:
    st = live_stairwell
    vid = st.create(hours=24)
    for openid in [f"o-{r}" for r in ROOMS] + ["o-301b"]:
        got = st.pushes(openid)
        assert len(got) == 1, (openid, got)
        assert "楼道公约（2026版）" in got[0]
        # each choice as the exact line to send back, the choice beside it
        assert all(f"回复“投票 {vid} {i}”：{o}" in got[0] for i, o in enumerate(["同意", "反对", "弃权"], 1))
        assert "电动车不进楼道充电" in got[0]
    assert st.pushes("o-101") == [] and st.pushes("o-pending") == []


def test_later_opening_by_the_job_snapshots_and_pushes_once(live_stairwell: Stairwell) -> None:
    st = live_stairwell
    now = st.now
    vid = st.create("--opens", st.clock(now + timedelta(hours=2)), hours=24)
    assert st.vote(vid).state == "draft" and st.pushes("o-302") == []
    Transcript(st.side, "o-302").run([(f"投票 {vid} 同意", "还没有开始")])
    st.run_due(now + timedelta(hours=2, minutes=1))
    st.run_due(now + timedelta(hours=2, minutes=1))
    assert st.vote(vid).state == OPEN
    assert len(st.pushes("o-302")) == 1


def test_reminder_goes_once_to_households_that_have_not_voted(live_stairwell: Stairwell) -> None:
    st = live_stairwell
    now = st.now
    vid = st.create(hours=24)   # shorter than two days: reminded at half-time (+12 h)
    Transcript(st.side, "o-301b").run([(f"投票 {vid} 同意", "已为 301室")])
    Transcript(st.side, "o-302").run([(f"投票 {vid} 反对", "已为 302室")])
    st.run_due(now + timedelta(hours=10))
    assert all(len(st.pushes(f"o-{r}")) == 1 for r in ROOMS)      # not yet: opening push only
    st.run_due(now + timedelta(hours=12))
    st.run_due(now + timedelta(hours=13))
    for room in ("401", "402", "501", "502"):
        got = st.pushes(f"o-{room}")
        assert len(got) == 2 and "还没有投票" in got[1], (room, got)
    for openid in ("o-301", "o-301b", "o-302"):
        assert len(st.pushes(openid)) == 1, openid                 # voted: no reminder


def test_result_pushed_once_and_convention_adopted(live_stairwell: Stairwell) -> None:
    st = live_stairwell
    now = st.now
    vid = st.create("--kind", "convention", hours=24)
    for room, choice in (("301", "同意"), ("302", "同意"), ("401", "同意"), ("402", "弃权")):
        Transcript(st.side, f"o-{room}").run([(f"投票 {vid} {choice}", f"已为 {room}室")])
    Transcript(st.side, "o-301").run([("公约", "本楼道还没有通过的公约")])
    first = st.run_due(now + timedelta(hours=24, minutes=1))
    second = st.run_due(now + timedelta(hours=24, minutes=1))
    assert "votes.close: 1" in first.output and "votes.close: 0" in second.output
    v = st.vote(vid)
    assert v.state == CLOSED and v.result == "passed"
    assert v.figures["participated"]["households"] == 4 and v.figures["eligible"]["households"] == 6
    for openid in [f"o-{r}" for r in ROOMS] + ["o-301b"]:
        results = [p for p in st.pushes(openid) if "表决结果" in p]
        assert len(results) == 1, (openid, st.pushes(openid))
        assert "通过" in results[0] and "参与 4/6 户" in results[0] and "同意 3户" in results[0]
    assert st.pushes("o-101") == []
    Transcript(st.side, "o-502").run([("公约", ["楼道公约", "第1版", "通过", "电动车不进楼道充电"]),
                                      (f"投票 {vid} 反对", "表决已结束")])


def test_a_failed_or_invalid_vote_adopts_nothing(live_stairwell: Stairwell) -> None:
    st = live_stairwell
    now = st.now
    vid = st.create("--kind", "convention", hours=24)
    for room in ("301", "302", "401"):   # 3 of 6 is not more than half
        Transcript(st.side, f"o-{room}").run([(f"投票 {vid} 同意", f"已为 {room}室")])
    st.run_due(now + timedelta(hours=24, minutes=1))
    assert st.vote(vid).result == "no_quorum"
    assert any("参与户数不足" in p for p in st.pushes("o-502"))
    Transcript(st.side, "o-301").run([("公约", "本楼道还没有通过的公约")])


def test_asking_for_results_lists_what_was_decided_lately(live_stairwell: Stairwell) -> None:
    st = live_stairwell
    vid = st.create("--kind", "convention", hours=24)
    Transcript(st.side, "o-301").run([("投票结果", "最近没有结束的表决")])
    for room in ("301", "302", "401", "402"):
        Transcript(st.side, f"o-{room}").run([(f"投票 {vid} 同意", f"已为 {room}室")])
    st.run_due(st.now + timedelta(hours=24, minutes=1))
    Transcript(st.side, "o-502").run([
        ("表决结果怎么样", ["最近结束的表决", f"第{vid}号 楼道公约（2026版）：通过", f"表决 {vid}"]),
        ("表决", ["目前没有需要您家表决的事项", f"第{vid}号", "通过"]),   # nothing open: what was decided
    ])
    Transcript(st.side, "o-101").run([("投票结果", f"!第{vid}号")])   # another stairwell's vote
