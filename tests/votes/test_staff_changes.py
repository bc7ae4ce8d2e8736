"""Staff manage votes by chat: 确认表决 alone lists the proposals waiting for them; 延长表决 /
取消表决 work after a confirmation and tell the households; residents are refused; the CLI
also tells households of a new deadline; options separated by 、 are accepted."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models.db import transaction
from models.delivery import Delivery
from models.resident import Resident
from models.votes import CANCELLED, OPEN, PROPOSED, Vote
from tests.votes.conftest import Stairwell
from tests.wechat_side import Transcript, WeChatSide


def told(st: Stairwell, like: str) -> dict[str, str]:
    """openid -> text of the deliveries whose notice key matches."""
    with st.linli.factory() as s:
        return {d.openid: d.body["text"] for d in s.scalars(
            select(Delivery).where(Delivery.notice_key.like(like)))}


def propose(st: Stairwell, wechat: WeChatSide, title: str = "楼道公约") -> Vote:
    with transaction(st.linli.factory) as s:
        s.scalars(select(Resident).where(Resident.openid == "o-302")).one().stairwell_head = True
    closes = st.clock(st.now + timedelta(days=2))
    for said in ("发起表决", title, "一、楼道不堆放杂物。", closes, "1"):
        wechat.say("o-302", said)
    with st.linli.factory() as s:
        v = s.scalars(select(Vote).order_by(Vote.id.desc())).first()
        assert v is not None and v.state == PROPOSED
        return v


def local_day(st: Stairwell, hours: float) -> tuple[str, str]:
    """('12月8日18点', '12月8日 18:00') for the community day `hours` from the test clock."""
    t = (st.now + timedelta(hours=hours)).astimezone(st.tz)
    return f"{t.month}月{t.day}日18点", f"{t.month}月{t.day}日 18:00"


def test_confirm_alone_lists_the_proposals_waiting(stairwell: Stairwell, wechat: WeChatSide) -> None:
    Transcript(wechat, "o-staff").run([("确认表决", ["没有待您确认的表决提议", "!第?号"])])
    v = propose(stairwell, wechat)
    closes = v.closes_at.astimezone(stairwell.tz)
    Transcript(wechat, "o-staff").run([
        ("确认表决", ["待您确认的表决提议", f"第{v.id}号 楼道公约", "黄巷新村3号楼2单元",
                  f"{closes.month}月{closes.day}日", f"确认表决 {v.id}", "!第?号", "!没有找到"]),
        (f"确认表决 {v.id}", [f"已确认第{v.id}号"]),
        ("确认表决", "没有待您确认的表决提议"),
    ])
    Transcript(wechat, "o-401").run([("确认表决", ["工作人员权限", "!楼道公约"])])


def test_staff_extend_a_vote_by_chat_and_households_are_told(stairwell: Stairwell,
                                                            wechat: WeChatSide) -> None:
    st = stairwell
    vid = st.create(hours=24)
    old = st.vote(vid).closes_at
    typed, shown = local_day(st, 72)
    Transcript(wechat, "o-401").run([(f"延长表决 {vid} {typed}", ["工作人员权限", "!已改为"])])
    Transcript(wechat, "o-staff").run([
        (f"延长表决 {vid} {typed}", ["确认把第", shown, "回复 1 确认", "6 户"]),
        ("2", "没有改动"),
    ])
    assert st.vote(vid).closes_at == old
    Transcript(wechat, "o-staff").run([
        (f"延长表决 {vid}", ["延长格式", f"延长表决 {vid} "]),
        (f"延长表决 {vid} 下周", ["没看懂新的截止时间", "12月8日18点"]),
        (f"延长表决 {vid} {typed}", ["确认把第", shown]),
        ("1", [f"第{vid}号表决", f"截止时间已改为 {shown}", "已通知 6 户"]),
    ])
    assert st.vote(vid).closes_at.astimezone(st.tz).strftime("%d %H:%M") == \
        (st.now + timedelta(hours=72)).astimezone(st.tz).strftime("%d 18:00")
    pushed = told(st, f"vote:{vid}:extend:%")
    assert set(pushed) == {"o-301", "o-301b", "o-302", "o-401", "o-402", "o-501", "o-502"}
    assert shown in pushed["o-401"] and "截止时间改为" in pushed["o-401"]
    st.run_due(st.later(hours=25))                      # the old deadline: still open
    assert st.vote(vid).state == OPEN
    Transcript(wechat, "o-502").run([(f"表决 {vid}", shown)])


def test_staff_cancel_a_vote_by_chat_and_households_are_told(stairwell: Stairwell,
                                                            wechat: WeChatSide) -> None:
    st = stairwell
    vid = st.create(hours=24)
    Transcript(wechat, "o-301").run([(f"取消表决 {vid}", ["工作人员权限", "!已取消"])])
    assert st.vote(vid).state == OPEN
    Transcript(wechat, "o-staff").run([
        ("取消表决", ["取消格式", f"取消表决 {vid}"]),
        (f"取消表决 {vid}", ["确认取消第", "楼道公约（2026版）", "回复 1 确认取消"]),
        ("1", [f"第{vid}号表决", "已取消"]),
        (f"取消表决 {vid}", "已经结束或已取消"),
    ])
    assert st.vote(vid).state == CANCELLED
    pushed = told(st, f"vote:{vid}:cancel")
    assert "o-402" in pushed and "【表决取消】" in pushed["o-402"] and "楼道公约（2026版）" in pushed["o-402"]
    Transcript(wechat, "o-301").run([(f"投票 {vid} 同意", "已取消")])


def test_extend_a_proposal_past_its_deadline_then_confirm(stairwell: Stairwell, wechat: WeChatSide) -> None:
    st = stairwell
    v = propose(st, wechat)
    st.now += timedelta(days=3)
    typed, shown = local_day(st, 48)
    Transcript(wechat, "o-staff").run([
        (f"确认表决 {v.id}", ["已经过了", f"延长表决 {v.id}"]),
        (f"延长表决 {v.id} {typed}", ["确认把第", shown]),
        ("1", f"截止时间已改为 {shown}"),
        (f"确认表决 {v.id}", [f"已确认第{v.id}号", "已通知 6 户"]),
    ])
    assert st.vote(v.id).state == OPEN


def test_cli_extend_tells_households_the_new_deadline(stairwell: Stairwell) -> None:
    st = stairwell
    vid = st.create(hours=24)
    later = st.clock(st.now + timedelta(hours=72))
    res = st.cli("vote", "extend", str(vid), "--closes", later, "--now", st.clock(st.now))
    assert res.exit_code == 0 and "截止时间改为" in res.output, res.output
    pushed = told(st, f"vote:{vid}:extend:%")
    assert len(pushed) == 7 and all("截止时间改为" in t for t in pushed.values())


def test_options_separated_by_the_enumeration_comma(stairwell: Stairwell, wechat: WeChatSide) -> None:
    vid = stairwell.create("--options", "方案A、方案B、都不同意")
    assert stairwell.vote(vid).options == ["方案A", "方案B", "都不同意"]
    Transcript(wechat, "o-301").run([(f"投票 {vid}", ["回复 1 方案A", "回复 3 都不同意"])])
    with stairwell.linli.factory() as s:
        assert s.scalar(select(func.count()).select_from(Vote)) == 1
