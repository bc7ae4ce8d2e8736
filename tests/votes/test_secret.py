"""Secret ballots: who took part is visible (for reminders), how anyone voted never is, and
the tally stays hidden until closing."""
from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from tests.votes.conftest import Stairwell
from tests.wechat_side import Transcript, WeChatSide

# A choice next to a count or a household: what must never appear for a secret vote.
LEAKS = [re.compile(p) for p in (
    r"(同意|反对|弃权)\s*\d+\s*户", r"已投[:：]\s*(同意|反对|弃权)", r"记录[:：]\s*(同意|反对|弃权)",
    r"running:", r"(同意|反对|弃权) \d")]


def leaks(text: str) -> list[str]:
    return [p.pattern for p in LEAKS if p.search(text)]


def test_secret_ballots_show_participation_but_no_choice(
        stairwell: Stairwell, wechat: WeChatSide, app: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    vid = stairwell.create("--secret", hours=30)
    outputs: list[str] = []
    for openid, choice in (("o-301", "同意"), ("o-302", "反对"), ("o-401", "弃权"),
                           ("o-402", "同意")):
        reply = wechat.say(openid, f"投票 {vid} {choice}")
        assert "已为" in reply and "不记名" in reply, reply
        outputs.append(reply)
    outputs.append(wechat.say("o-301b", f"表决 {vid}"))        # another member of 301
    outputs.append(wechat.say("o-301b", "表决"))
    outputs.append(wechat.say("o-staff", f"表决 {vid}"))
    outputs.append(wechat.say("o-502", f"表决 {vid}"))
    show = stairwell.cli("vote", "show", str(vid), "--who")
    outputs.append(show.output)
    assert "已投 4/6 户" in outputs[4] and "结果截止后公布" in outputs[4]
    assert "［您家已投票］" in outputs[5]
    assert "已投 4/6 户" in show.output and "截止前不显示计票" in show.output
    assert "501" in show.output and "301室" not in show.output        # who has not voted
    for text in outputs + [caplog.text]:
        assert not leaks(text), (leaks(text), text)
    # After closing the totals are published (never per household).
    stairwell.run_due(stairwell.later(hours=31))
    after = wechat.say("o-502", f"表决 {vid}")
    # 4 of 6 took part; 2 of 4 agreeing is only half: failed
    assert "未通过" in after and "同意 2户" in after and "反对 1户" in after
    closed = stairwell.cli("vote", "show", str(vid)).output
    assert "同意 2户" in closed and "301" not in closed


def test_open_vote_shows_the_running_tally(stairwell: Stairwell, wechat: WeChatSide) -> None:
    vid = stairwell.create()
    Transcript(wechat, "o-301").run([(f"投票 {vid} 同意", "记录：同意")])
    Transcript(wechat, "o-502").run([(f"表决 {vid}", ["已投 1/6 户", "同意 1户", "［您家未投］"])])
    assert "当前计票：同意 1" in stairwell.cli("vote", "show", str(vid)).output
