"""Two communities in one database: in WeChat, by scheduled job and on the command line,
each community's staff see and act only on their own community, and each resident only
ever hears of their own. (The console is in tests/console/test_many_communities_http.py.)"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models.community import Community, Household
from models.complaints import Complaint
from models.people import Staff
from models.resident import Resident
from models.votes import Vote
from tests.community.two import A, B, T0, Two, build


@pytest.fixture
def two(make_app: Any, tmp_path: Path) -> Two:
    return build(make_app, tmp_path)


def test_one_roster_file_makes_two_communities_and_a_second_file_names_its_own(two: Two) -> None:
    with two.factory() as s:
        per = dict(s.execute(select(Community.name, func.count(Household.id))
                             .join(Household, Household.community_id == Community.id)
                             .group_by(Community.name)).all())
    assert per == {A: 2, B: 2}     # the same 3号楼2单元301 in each is two households
    again = two.cli("roster", "import", str(two.tmp / "two-communities.csv"))
    assert again.exit_code == 0 and "新增 0，变更 0，未变 4" in again.output, again.output
    plain = two.tmp / "east-more.csv"
    plain.write_text("居民点,楼栋,单元,室号,姓名,手机,面积,身份\n东湖花园,5,1,101,吴新,13833335555,70,业主\n",
                     encoding="utf-8")
    refused = two.cli("roster", "import", str(plain))
    assert refused.exit_code == 2 and A in refused.output and B in refused.output
    assert "--community" in refused.output and "Traceback" not in refused.output
    done = two.cli("roster", "import", str(plain), "--community", B)
    assert done.exit_code == 0 and "新增 1" in done.output and f"社区：{B}" in done.output
    east = two.community_id(B)
    with two.factory() as s:
        h = s.scalars(select(Household).where(Household.label == "东湖花园5号楼1单元101室")).one()
        assert h.community_id == east


def test_staff_add_names_the_community_when_there_are_several(two: Two) -> None:
    missing = two.cli("staff", "add", "o-new", "--name", "新人", "--role", "网格员")
    assert missing.exit_code == 2 and A in missing.output and B in missing.output
    assert "--community" in missing.output
    wrong = two.cli("staff", "add", "o-new", "--name", "新人", "--role", "网格员", "--community", "火星社区")
    assert wrong.exit_code == 2 and "火星社区" in wrong.output and A in wrong.output
    ok = two.cli("staff", "add", "o-new", "--name", "新人", "--role", "网格员", "--community", B,
                 "--scope", "3号楼")     # 3号楼 of 东湖社区, though 黄巷社区 has one too
    assert ok.exit_code == 0 and f"{B} 东湖花园3号楼" in ok.output, ok.output
    listing = two.cli("staff", "list").output
    assert f"o-new\t新人\t网格员\t{B} 东湖花园3号楼" in listing
    assert f"o-sa\t甲社工\t社工\t{A} 全社区" in listing
    with two.factory() as s:   # a row from the one-community days means the oldest community
        s.add(Staff(openid="o-old", name="老人", role="社工"))
        s.commit()
    assert f"o-old\t老人\t社工\t{A} 全社区" in two.cli("staff", "list").output
    assert f"【{A}统计】" in two.say("o-old", "统计")


def test_staff_cannot_see_or_act_on_another_communitys_requests(two: Two) -> None:
    mine = two.file("o-a1", "楼道灯坏了三天了")
    theirs = two.file("o-b1", "楼道灯也坏了")
    missing = "没有找到这个编号"
    two.talk("o-sa").run([
        (f"受理 {theirs}", missing),
        (f"办结 {theirs} 已修好", missing),
        (f"驳回 {theirs} 不归我们管", missing),
        (f"转办 {theirs} 乙社工", missing),
        (f"合并 {theirs} {mine}", missing),
        (f"合并 {mine} {theirs}", missing),
        (f"查询 {theirs}", [missing, "!楼道灯也坏了"]),
        ("待办", [mine, f"!{theirs}"]),
        (f"转办 {mine} 乙社工", ["甲主任", "!乙主任"]),   # B's staff are not A's to assign
        (f"受理 {mine}", "已受理"),
    ])
    with two.factory() as s:
        states = dict(s.execute(select(Complaint.ticket, Complaint.state)).all())
    assert states == {mine: "accepted", theirs: "submitted"}
    two.talk("o-sb").run([(f"受理 {theirs}", "已受理"), ("待办", [theirs, f"!{mine}"])])
    assert not any(theirs in p for p in two.pushes("o-a1"))


def test_votes_meetings_and_bulletins_stay_in_their_community(two: Two) -> None:
    two.talk("o-sa").run([
        ("发起表决", "全社区"),
        ("全社区", "标题"),
        ("加装电梯", "内容"),
        ("是否同意在本社区加装电梯", "截止"),
        ("2026-12-10 18:00", ["请确认", A]),
        ("1", "已发起"),
    ])
    west = two.community_id(A)
    with two.factory() as s:
        vote = s.scalars(select(Vote)).one()
        assert vote.scope_key == f"community:{west}"
    two.talk("o-a1").run([("表决", "加装电梯")])
    two.talk("o-b1").run([("表决", "!加装电梯"), (f"投票 {vote.id} 同意", ["没有", "!已记录"]),
                          (f"表决 {vote.id}", ["没有", "!加装电梯"])])
    two.talk("o-sb").run([(f"确认表决 {vote.id}", ["没有", "!加装电梯"])])

    two.talk("o-sa").run([
        ("创建会议", "会议名称"),
        ("加装电梯恳谈会", "会议时间"),
        ("下周三下午两点", "会议地点"),
        ("社区活动室", "最多多少人"),
        ("0", ["请确认", A]),
        ("1", "会议已创建"),
    ])
    two.talk("o-a1").run([("会议", "加装电梯恳谈会")])
    from models.meetings import Meeting
    with two.factory() as s:
        mid = s.scalars(select(Meeting.id)).one()
    two.talk("o-b1").run([("会议", "!加装电梯恳谈会"), (f"报名 {mid}", ["没有找到", "!报名成功"])])
    signed = two.say("o-a1", f"报名 {mid}")
    found = re.search(r"签到码：(\d+)", signed)
    assert "报名成功" in signed and found, signed
    checkin = found.group(1)
    two.talk("o-sb").run([(f"签到 {mid} {checkin}", ["没有找到", "!签到成功"])])

    two.talk("o-sa").run([
        ("发布通知", "停水停电"),
        ("1", "标题"),
        ("明日停水", "正文"),
        ("明天9点到12点停水", "全社区"),
        ("1", A),
        ("1", ["已发布", "共 2 位居民会收到"]),
    ])
    assert any("明日停水" in p for p in two.pushes("o-a2"))
    for resident in ("o-b1", "o-b2"):
        assert not any("明日停水" in p for p in two.pushes(resident))
        two.talk(resident).run([("通知", "!明日停水")])
    two.talk("o-a2").run([("通知", "明日停水")])


def test_jobs_remind_and_escalate_to_the_requests_own_community(two: Two) -> None:
    a = two.file("o-a1", "楼道灯坏了")
    b = two.file("o-b1", "垃圾没人清")
    out = two.run_due(T0 + timedelta(hours=25))
    assert "complaints.sla: 2" in out
    for staff, own, other in (("o-sa", a, b), ("o-ha", a, b), ("o-sb", b, a), ("o-hb", b, a)):
        told = [p for p in two.pushes(staff) if "待受理提醒" in p]
        assert len(told) == 1 and own in told[0] and other not in told[0], (staff, told)
    two.say("o-sa", f"受理 {a}")
    two.say("o-sb", f"受理 {b}")
    two.run_due(T0 + timedelta(days=7, hours=1))
    for head, own, other in (("o-ha", a, b), ("o-hb", b, a)):
        late = [p for p in two.pushes(head) if "诉求超期" in p]
        assert len(late) == 1 and own in late[0] and other not in late[0], (head, late)


def test_hot_issue_is_told_to_its_own_community(make_app: Any, tmp_path: Path) -> None:
    two = build(make_app, tmp_path, complaints={"cluster_households": 2})
    for openid in ("o-b1", "o-b2"):
        two.file(openid, "楼道里有噪音扰民")
    assert "complaints.clusters: 1" in two.run_due(T0 + timedelta(hours=1))
    assert any("热点问题" in p for p in two.pushes("o-hb"))
    assert not any("热点问题" in p for p in two.pushes("o-ha") + two.pushes("o-sa"))


def test_stats_count_one_community(two: Two) -> None:
    two.file("o-a1", "楼道灯坏了")
    two.file("o-a2", "电梯坏了")
    two.file("o-b1", "垃圾没人清")
    two.talk("o-sa").run([("统计", [f"【{A}统计】", "诉求共 2 件"])])
    two.talk("o-sb").run([("统计", [f"【{B}统计】", "诉求共 1 件"])])
    two.talk("o-a1").run([("统计", ["!诉求共", "工作人员"]), ("你好", A)])
    two.talk("o-b1").run([("你好", [B, f"!{A}"])])
    refused = two.cli("complaints", "stats")
    assert refused.exit_code == 2 and A in refused.output and B in refused.output
    assert '"total": 1' in two.cli("complaints", "stats", "--community", B).output
    listed = two.cli("complaints", "list", "--community", A).output
    assert "2 request(s)" in listed and "垃圾没人清" not in listed


def test_cli_asks_which_community_when_the_target_is_ambiguous(two: Two) -> None:
    vote = ["vote", "create", "--title", "楼道公约", "--closes", "2026-12-10 18:00",
            "--now", "2026-11-27 10:00"]
    ambiguous = two.cli(*vote, "--scope", "3号楼2单元")
    assert ambiguous.exit_code == 2 and "2 communities" in ambiguous.output
    assert A in ambiguous.output and B in ambiguous.output and "--community" in ambiguous.output
    whole = two.cli(*vote, "--scope", "全社区")
    assert whole.exit_code == 2 and A in whole.output and B in whole.output
    ok = two.cli(*vote, "--scope", "3号楼2单元", "--community", B)
    assert ok.exit_code == 0, ok.output
    clear = two.cli(*vote, "--scope", "东湖花园3号楼")     # a name only one community has
    assert clear.exit_code == 0, clear.output
    with two.factory() as s:
        labels = sorted(s.scalars(select(Vote.scope_label)))
    assert labels == ["东湖花园3号楼", "东湖花园3号楼2单元"]
    meeting = two.cli("meeting", "create", "--title", "恳谈", "--type", "恳谈会",
                      "--at", "2026-12-20 19:00", "--place", "活动室")
    assert meeting.exit_code == 2 and "--community" in meeting.output and B in meeting.output
    assert two.cli("meeting", "create", "--title", "恳谈", "--type", "恳谈会", "--at", "2026-12-20 19:00",
                   "--place", "活动室", "--community", A).exit_code == 0
    bulletin = ["bulletin", "publish", "--topic", "活动", "--title", "义诊", "--body", "周六义诊",
                "--now", "2026-11-27 10:00"]
    assert two.cli(*bulletin).exit_code == 2
    sent = two.cli(*bulletin, "--community", B)
    assert sent.exit_code == 0 and "recipients 2" in sent.output, sent.output
    assert not any("义诊" in p for p in two.pushes("o-a1"))
    assert "义诊" not in two.cli("bulletin", "list", "--community", A).output


def test_an_address_in_two_communities_is_asked_about_with_numbered_choices(two: Two) -> None:
    """Through the shared account, "3号楼2单元301" is a household in each community: the
    resident picks theirs by number instead of being told it does not exist."""
    side = two.side
    asked = side.say("o-new", "绑定 3号楼2单元301")
    assert "您家是哪一户" in asked
    assert "1. 黄巷新村3号楼2单元301" in asked and "2. 东湖花园3号楼2单元301" in asked
    assert "姓名" in side.say("o-new", "2")
    assert "手机号的后四位" in side.say("o-new", "陈东")
    assert "绑定成功" in side.say("o-new", "3333") and "东湖花园3号楼2单元301" in side.say("o-new", "我的信息")
    # With the name and phone given, the roster settles which household: nothing to ask.
    settled = side.say("o-new4", "绑定 3号楼2单元301 陈东 3333")
    assert "绑定成功" in settled and "东湖花园3号楼2单元301" in settled and "哪一户" not in settled
    # A number out of range is not a pick; a full address answers the question too.
    assert "您家是哪一户" in side.say("o-new2", "绑定 3号楼2单元302")
    again = side.say("o-new2", "7")
    assert "没看懂" in again and "1. 黄巷新村3号楼2单元302" in again
    side.say("o-new2", "取消")
    assert "您家是哪一户" in side.say("o-new3", "绑定 3号楼2单元302 李强 0000")   # matches no roster
    assert "待审核" in side.say("o-new3", "黄巷新村3号楼2单元302")
    with two.factory() as s:
        hid = s.scalar(select(Household.id).where(Household.label.like("黄巷新村3号楼2单元302%")))
        assert s.scalar(select(Resident.household_id).where(Resident.openid == "o-new3")) == hid
