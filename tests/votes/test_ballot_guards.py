"""Traps an exploratory tester found in casting and starting votes: a list position read as
a vote number, a tenant's ballot under an owners-only rule, a ballot for a neighbour, a
proposal confirmed after its closing time, the CLI's kind, and a confirmation asked before
anything was checked."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models.community import Household
from models.db import transaction
from models.delivery import Delivery
from models.resident import Resident
from models.votes import CONVENTION, OPEN, OTHER, PROPOSED, Vote
from tests.votes.conftest import Stairwell
from tests.votes.test_cast import counted
from tests.wechat_side import Transcript, WeChatSide


def deliveries(st: Stairwell, key: str, openid: str) -> int:
    with st.linli.factory() as s:
        return s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.notice_key == key, Delivery.openid == openid)) or 0


# 1. A list shows each vote's own number, and a number typed back means that vote ----------
def test_vote_list_is_led_by_vote_numbers_not_positions(stairwell: Stairwell,
                                                       wechat: WeChatSide) -> None:
    late = stairwell.create(title="楼道绿植摆放", hours=72)
    middle = stairwell.create(title="加装楼道扶手", hours=48)
    soon = stairwell.create(title="楼道灯更换", hours=24)     # listed first: closes soonest
    reply = wechat.say("o-302", "表决")
    lines = reply.splitlines()
    assert lines[1].startswith(f"第{soon}号 楼道灯更换") and lines[3].startswith(f"第{late}号 楼道绿植摆放")
    assert not any(line.startswith(("1.", "2.", "3.")) for line in lines), reply
    assert f"投票 {soon} 同意" in reply and "投票 编号 同意" in reply
    # typing the number shown next to 楼道绿植摆放 opens 楼道绿植摆放, not the row in that position
    Transcript(wechat, "o-302").run([(str(late), [f"第{late}号表决：楼道绿植摆放", "!楼道灯更换"])])
    Transcript(wechat, "o-302").run([("表决", "楼道灯更换"), ("9", ["没有第9号", f"{soon}、{middle}、{late}"])])


# 2. Owners-only rule: a tenant household is refused and not counted ----------------------
def test_tenant_is_refused_under_an_owners_only_rule(stairwell: Stairwell,
                                                    wechat: WeChatSide) -> None:
    with transaction(stairwell.linli.factory) as s:
        tenant = s.get(Household, stairwell.households["302"])
        assert tenant is not None
        tenant.tenure = "tenant"
    vid = stairwell.create("--rule", "civil_code", title="用维修资金更换单元门")
    assert deliveries(stairwell, f"vote:{vid}:open", "o-302") == 0   # no ballot pushed to the tenant
    assert deliveries(stairwell, f"vote:{vid}:open", "o-301") == 1
    Transcript(wechat, "o-302").run([
        (f"投票 {vid} 反对", ["只由业主投票", "租户", "!已为"]),
        ("表决", ["目前没有需要您家表决的事项", "!更换单元门"]),
    ])
    Transcript(wechat, "o-301").run([
        (f"投票 {vid} 同意", "已为 301室 记录：同意"),
        # five owners, 302 is a tenant household: counted as the result will be
        (f"表决 {vid}", ["已投 1/5 户", "同意 1户", "反对 0户", "只计业主"]),
    ])
    assert counted(stairwell, vid) == (1, 1)


# 3. A ballot for another household is not cast, and the writer's own is untouched ---------
def test_ballot_for_a_neighbour_is_refused(stairwell: Stairwell, wechat: WeChatSide) -> None:
    vid = stairwell.create()
    Transcript(wechat, "o-301").run([(f"投票 {vid} 同意", "已为 301室 记录：同意")])
    Transcript(wechat, "o-301").run([
        (f"我替302室李强投票 {vid} 反对", ["每户只能为自己家投票", "302室", "绑定", "!您是要", "!已为"]),
        ("1", "!已为"),
        ("帮我邻居302投同意", ["每户只能为自己家投票", "!您是要"]),
        ("替隔壁王阿姨投反对", ["每户只能为自己家投票", "!您是要"]),
        (f"表决 {vid}", "［您家已投：同意］"),
    ])
    assert counted(stairwell, vid) == (1, 1)
    # the household's own room number is its own ballot
    Transcript(wechat, "o-302").run([("我家302反对", ["您是要", "302室", "反对"]), ("1", "已为 302室 记录：反对")])


# 4. A proposal whose closing time has passed cannot be opened -----------------------------
def test_stale_proposal_is_refused_until_extended(stairwell: Stairwell, wechat: WeChatSide) -> None:
    with transaction(stairwell.linli.factory) as s:
        s.scalars(select(Resident).where(Resident.openid == "o-302")).one().stairwell_head = True
    closes = stairwell.now + timedelta(days=2)
    for said in ("发起表决", "楼道公约", "一、楼道不堆放杂物。", stairwell.clock(closes), "1"):
        wechat.say("o-302", said)
    with stairwell.linli.factory() as s:
        vid = s.scalars(select(Vote.id).order_by(Vote.id.desc())).first()
    assert vid is not None and stairwell.vote(vid).state == PROPOSED
    late = stairwell.clock(stairwell.now + timedelta(days=3))
    res = stairwell.cli("vote", "open", str(vid), "--now", late)
    assert res.exit_code != 0 and "extend" in res.output and "Traceback" not in res.output
    stairwell.now += timedelta(days=3)
    Transcript(wechat, "o-staff").run([(f"确认表决 {vid}", ["截止时间", "已经过了", "延长", "!已确认"])])
    assert stairwell.vote(vid).state == PROPOSED
    assert deliveries(stairwell, f"vote:{vid}:open", "o-301") == 0
    new_closes = stairwell.clock(stairwell.now + timedelta(days=2))
    assert stairwell.cli("vote", "extend", str(vid), "--closes", new_closes, "--now", late).exit_code == 0
    Transcript(wechat, "o-staff").run([(f"确认表决 {vid}", f"已确认第{vid}号")])
    assert stairwell.vote(vid).state == OPEN


# 5. The CLI infers a convention from its title, as the chat does ------------------------
def test_cli_kind_follows_the_title_unless_given(stairwell: Stairwell) -> None:
    assert stairwell.vote(stairwell.create(title="楼道公约（第二版）")).kind == CONVENTION
    assert stairwell.vote(stairwell.create(title="加装楼道扶手")).kind == OTHER
    assert stairwell.vote(stairwell.create("--kind", "other", title="楼道公约解读会")).kind == OTHER


# 6. Free text is checked before a confirmation is asked ----------------------------------
def test_no_open_vote_is_said_at_once(stairwell: Stairwell, wechat: WeChatSide) -> None:
    Transcript(wechat, "o-301").run([("同意", ["目前没有需要您家表决的事项", "!您是要"]),
                                     ("1", "!目前没有需要您家表决")])
    Transcript(wechat, "o-stranger").run([("同意", ["绑定", "!您是要"])])
    vid = stairwell.create()
    Transcript(wechat, "o-101").run([("我家同意", ["目前没有需要您家表决的事项", "!您是要"])])  # outside scope
    Transcript(wechat, "o-301").run([("同意", ["您是要", "301室", f"第{vid}号", "同意"]),
                                     ("1", "已为 301室 记录：同意")])
