"""Starting votes: staff by chat (发起表决) and CLI, a stairwell head's proposal confirmed by
staff, extending and cancelling."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models.db import transaction
from models.delivery import Delivery
from models.resident import Resident
from models.votes import CANCELLED, OPEN, PROPOSED, Vote
from tests.votes.conftest import Stairwell
from tests.wechat_side import Transcript, WeChatSide


def opening_pushes(st: Stairwell, vid: int) -> int:
    with st.linli.factory() as s:
        return s.scalar(select(func.count()).select_from(Delivery)
                        .where(Delivery.notice_key == f"vote:{vid}:open")) or 0


def newest_vote(st: Stairwell) -> Vote:
    with st.linli.factory() as s:
        v = s.scalars(select(Vote).order_by(Vote.id.desc())).first()
        assert v is not None
        return v


def test_staff_starts_a_vote_by_chat(stairwell: Stairwell, wechat: WeChatSide) -> None:
    closes = (stairwell.now + timedelta(days=3)).astimezone(stairwell.tz)
    Transcript(wechat, "o-staff").run([
        ("发起表决", "表决范围"),
        ("3号楼9单元", ["没找到", "3号楼2单元"]),
        ("3号楼2单元", ["黄巷新村3号楼2单元", "标题"]),
        ("楼道公约修订", "内容"),
        ("一、楼道不堆放杂物。", "截止时间"),
        ("明天", "没看懂截止时间"),
        (f"{closes.month}月{closes.day}日18点", ["请确认", "楼道公约修订", f"{closes.month}月{closes.day}日 18:00",
                                              "回复 1 确认"]),
        ("1", ["已发起第", "已通知 6 户"]),
    ])
    v = newest_vote(stairwell)
    assert v.state == OPEN and v.kind == "convention" and v.scope_label == "黄巷新村3号楼2单元"
    assert v.closes_at == closes.replace(hour=18, minute=0, second=0, microsecond=0)
    assert opening_pushes(stairwell, v.id) == 7     # six households, 301 has two members
    Transcript(wechat, "o-401").run([("表决", f"第{v.id}号 楼道公约修订")])


def test_staff_dialog_takes_a_typed_date_and_can_be_cancelled(stairwell: Stairwell,
                                                              wechat: WeChatSide) -> None:
    closes = stairwell.clock(stairwell.now + timedelta(days=2))
    Transcript(wechat, "o-staff").run([
        ("发起表决 加装扶手", "表决范围"),
        ("3号楼2单元", "内容"),           # the title came with the command
        ("在一楼到三楼加装扶手", "截止时间"),
        (closes, "请确认"),
        ("2", "没有办理"),
    ])
    with stairwell.linli.factory() as s:
        assert s.scalar(select(func.count()).select_from(Vote)) == 0


def test_resident_cannot_start_a_vote(stairwell: Stairwell, wechat: WeChatSide) -> None:
    Transcript(wechat, "o-401").run([("发起表决", ["工作人员权限", "!表决范围"])])


def test_stairwell_head_proposes_and_staff_confirm(stairwell: Stairwell, wechat: WeChatSide) -> None:
    with transaction(stairwell.linli.factory) as s:
        head = s.scalars(select(Resident).where(Resident.openid == "o-302")).one()
        head.stairwell_head = True
    closes = stairwell.clock(stairwell.now + timedelta(days=2))
    Transcript(wechat, "o-302").run([
        ("发起表决", ["黄巷新村3号楼2单元", "标题"]),   # their own stairwell, no scope asked
        ("楼道公约", "内容"),
        ("一、楼道不堆放杂物。", "截止时间"),
        (closes, "请确认"),
        ("1", ["已提交", "工作人员确认后"]),
    ])
    v = newest_vote(stairwell)
    assert v.state == PROPOSED and opening_pushes(stairwell, v.id) == 0
    with stairwell.linli.factory() as s:
        told = s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.notice_key == f"vote:{v.id}:proposed", Delivery.openid == "o-staff"))
        assert told == 1
    Transcript(wechat, "o-401").run([(f"投票 {v.id} 同意", "还没有开始"),
                                     (f"确认表决 {v.id}", "工作人员权限")])
    Transcript(wechat, "o-staff").run([(f"确认表决 {v.id}", [f"已确认第{v.id}号", "已通知 6 户"]),
                                       (f"确认表决 {v.id}", "不是待确认的提议")])
    assert stairwell.vote(v.id).state == OPEN and opening_pushes(stairwell, v.id) == 7


def test_cli_open_confirms_a_proposal(stairwell: Stairwell, wechat: WeChatSide) -> None:
    with transaction(stairwell.linli.factory) as s:
        s.scalars(select(Resident).where(Resident.openid == "o-302")).one().stairwell_head = True
    closes = stairwell.clock(stairwell.now + timedelta(days=2))
    for said in ("发起表决", "楼道公约", "内容", closes, "1"):
        wechat.say("o-302", said)
    v = newest_vote(stairwell)
    assert v.state == PROPOSED
    res = stairwell.cli("vote", "open", str(v.id), "--now", stairwell.clock(stairwell.now))
    assert res.exit_code == 0 and stairwell.vote(v.id).state == OPEN
    again = stairwell.cli("vote", "open", str(v.id))
    assert again.exit_code != 0 and "不是待确认的提议" in again.output


def test_cli_errors_name_the_field(stairwell: Stairwell) -> None:
    closes = stairwell.clock(stairwell.now + timedelta(days=2))
    bad_scope = stairwell.cli("vote", "create", "--scope", "5号楼9单元", "--title", "T",
                              "--closes", closes)
    assert bad_scope.exit_code != 0 and "--scope" in bad_scope.output and "5号楼9单元" in bad_scope.output
    assert "Traceback" not in bad_scope.output
    unreadable = stairwell.cli("vote", "create", "--scope", "随便写写", "--title", "T",
                               "--closes", closes)
    assert unreadable.exit_code != 0 and "--scope" in unreadable.output
    bad_time = stairwell.cli("vote", "create", "--scope", "3号楼2单元", "--title", "T",
                             "--closes", "下周")
    assert bad_time.exit_code != 0 and "--closes" in bad_time.output
    past = stairwell.cli("vote", "create", "--scope", "3号楼2单元", "--title", "T",
                         "--closes", "2020-01-01 10:00")
    assert past.exit_code != 0 and "--closes" in past.output
    custom = stairwell.cli("vote", "create", "--scope", "3号楼2单元", "--title", "T",
                           "--closes", closes, "--rule", "custom", "--custom", '{"approve": {}}')
    assert custom.exit_code != 0 and "Traceback" not in custom.output
    assert stairwell.cli("vote", "show", "999").exit_code != 0


def test_extend_and_cancel(stairwell: Stairwell, wechat: WeChatSide) -> None:
    vid = stairwell.create(hours=24)
    later = stairwell.clock(stairwell.now + timedelta(hours=72))
    assert stairwell.cli("vote", "extend", str(vid), "--closes", later).exit_code == 0
    assert stairwell.clock(stairwell.vote(vid).closes_at) == later
    stairwell.run_due(stairwell.later(hours=25))          # the old closing time: still open
    assert stairwell.vote(vid).state == OPEN
    assert stairwell.cli("vote", "cancel", str(vid)).exit_code == 0
    assert stairwell.vote(vid).state == CANCELLED
    Transcript(wechat, "o-301").run([(f"投票 {vid} 同意", "已取消")])
    assert stairwell.cli("vote", "cancel", str(vid)).exit_code != 0
    assert stairwell.cli("vote", "extend", str(vid), "--closes", later).exit_code != 0


def test_custom_options_and_rule_from_the_cli(stairwell: Stairwell, wechat: WeChatSide) -> None:
    vid = stairwell.create("--options", "方案A,方案B", "--rule", "custom", "--custom",
                           '{"quorum": {"households": ["1/3", "inclusive"]},'
                           ' "approve": {"households": ["1/2", "inclusive"]}}')
    Transcript(wechat, "o-301").run([(f"投票 {vid}", ["回复 1 方案A", "回复 2 方案B"]),
                                     ("1", "记录：方案A")])
    Transcript(wechat, "o-302").run([(f"投票 {vid} 2", "记录：方案B")])
    stairwell.run_due(stairwell.later(hours=49))
    v = stairwell.vote(vid)
    # 2 of 6 ≥ 1/3 takes part; 1 of 2 for the first option is ≥ 1/2 (inclusive): passed
    assert v.result == "passed" and v.figures["options"]["方案A"]["households"] == 1
