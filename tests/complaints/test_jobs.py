"""Time-based behaviour through `flask jobs run-due --now`: the accept reminder, the
escalation to 居委会, the rating ask, auto-close, hot clusters; each run twice."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from models.complaint_rules import file_complaint
from models.complaints import Complaint, HotCluster
from models.db import transaction
from models.delivery import Delivery
from tests import factories as f
from tests.complaints.conftest import T0, World


def _deliveries(world: World) -> int:
    with world.app.extensions["linli"].factory() as s:
        return s.scalar(select(func.count()).select_from(Delivery))


def _state(world: World, ticket: str) -> Complaint:
    with world.app.extensions["linli"].factory() as s:
        return s.scalars(select(Complaint).where(Complaint.ticket == ticket)).one()


def _reminders(world: World, openid: str) -> list[str]:
    return [p for p in world.pushes(openid) if "待受理提醒" in p]


def test_not_accepted_in_time_reminds_staff_once(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.run_due(T0 + timedelta(hours=23))
    assert _reminders(world, "o-grid") == []
    out = world.run_due(T0 + timedelta(hours=25))
    assert "complaints.sla: 1" in out
    for staff in ("o-grid", "o-social", "o-head"):
        told = _reminders(world, staff)
        assert len(told) == 1 and t in told[0] and "3号楼2单元301" in told[0], staff
    before = _deliveries(world)
    assert "complaints.sla: 0" in world.run_due(T0 + timedelta(hours=25))
    assert _deliveries(world) == before


def test_reminder_goes_to_the_assignee_only(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    with transaction(world.app.extensions["linli"].factory) as s:
        c = s.scalars(select(Complaint)).one()
        c.assignee_id = s.scalars(select(f.Staff.id).where(f.Staff.name == "王社工")).one()
    world.run_due(T0 + timedelta(hours=25))
    assert any(t in p for p in _reminders(world, "o-social"))
    assert _reminders(world, "o-grid") == []


def test_not_resolved_in_time_escalates_to_the_committee_once(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.say("o-grid", f"受理 {t}")
    world.run_due(T0 + timedelta(days=6))
    assert not any("诉求超期" in p for p in world.pushes("o-head"))
    out = world.run_due(T0 + timedelta(days=7, hours=1))
    assert "complaints.sla: 1" in out
    told = [p for p in world.pushes("o-head") if "诉求超期" in p]
    assert len(told) == 1 and t in told[0] and "经办：李网格" in told[0]
    assert not any("诉求超期" in p for p in world.pushes("o-grid"))
    world.run_due(T0 + timedelta(days=7, hours=2))
    assert len([p for p in world.pushes("o-head") if "诉求超期" in p]) == 1


def test_rating_asked_once_then_closed_after_seven_days(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.say("o-grid", f"受理 {t}")
    world.say("o-grid", f"办结 {t} 已修好")
    resolved = len(world.pushes("o-a"))
    world.run_due(T0 + timedelta(hours=20))
    assert len(world.pushes("o-a")) == resolved
    assert "complaints.ask_rating: 1" in world.run_due(T0 + timedelta(hours=25))
    asked = world.pushes("o-a")[resolved:]
    assert len(asked) == 1 and "效果怎么样" in asked[0] and f"评价 {t} 5" in asked[0]
    assert "complaints.ask_rating: 0" in world.run_due(T0 + timedelta(hours=26))
    assert "complaints.auto_close: 0" in world.run_due(T0 + timedelta(days=6))
    assert _state(world, t).state == "resolved"
    out = world.run_due(T0 + timedelta(days=7, hours=1))
    assert "complaints.auto_close: 1" in out
    c = _state(world, t)
    assert c.state == "closed" and c.rating is None
    assert "已归档：7天未评价，自动归档" in world.pushes("o-a")[-1]
    n = len(world.pushes("o-a"))
    assert "complaints.auto_close: 0" in world.run_due(T0 + timedelta(days=7, hours=1))
    assert len(world.pushes("o-a")) == n


def test_rated_request_is_neither_asked_nor_auto_closed(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.say("o-grid", f"受理 {t}")
    world.say("o-grid", f"办结 {t} 已修好")
    world.say("o-a", f"评价 {t} 4")
    out = world.run_due(T0 + timedelta(days=8))
    assert "complaints.ask_rating: 0" in out and "complaints.auto_close: 0" in out
    assert _state(world, t).rating == 4


def _file_many(world: World, rooms: list[str], category: str = "noise",
               building: str = "3") -> list[int]:
    linli = world.app.extensions["linli"]
    ids = []
    with transaction(linli.factory) as s:
        for i, room in enumerate(rooms):
            h = f.household(s, building=building, room=room)
            f.resident(s, f"o-{building}-{room}", h)
            c = file_complaint(s, h, f"o-{building}-{room}", "晚上楼下太吵", category,
                               T0.astimezone(linli.settings.community.tz) + timedelta(hours=i),
                               linli.settings.community.tz)
            ids.append(c.household_id)
    return ids


def test_hot_cluster_found_and_staff_told_once(world: World) -> None:
    _file_many(world, ["101", "102", "201", "202"])
    _file_many(world, ["501", "502", "503", "504", "505"], building="5", category="parking")
    assert "complaints.clusters: 1" in world.run_due(T0 + timedelta(days=1))   # 5号楼 only
    _file_many(world, ["301"])                                               # 5th household
    assert "complaints.clusters: 1" in world.run_due(T0 + timedelta(days=1, hours=1))
    with world.app.extensions["linli"].factory() as s:
        clusters = s.scalars(select(HotCluster).order_by(HotCluster.id)).all()
        assert [(c.category, c.households) for c in clusters] == [("parking", 5), ("noise", 5)]
        linked = s.scalar(select(func.count()).where(Complaint.cluster_id == clusters[1].id))
        assert linked == 5
    told = [p for p in world.pushes("o-head") if "热点问题" in p]
    assert len(told) == 2 and "5 户" in told[1] and "噪音扰民" in told[1]
    assert "complaints.clusters: 0" in world.run_due(T0 + timedelta(days=1, hours=2))
    assert len([p for p in world.pushes("o-head") if "热点问题" in p]) == 2


def test_fewer_households_or_older_requests_make_no_cluster(world: World) -> None:
    _file_many(world, ["101", "102", "201", "202"])
    with transaction(world.app.extensions["linli"].factory) as s:   # one household twice
        c = s.scalars(select(Complaint)).first()
        h = s.get(f.Household, c.household_id)
        file_complaint(s, h, c.openid, "又吵了", "noise", T0 + timedelta(hours=5),
                       world.app.extensions["linli"].settings.community.tz)
    assert "complaints.clusters: 0" in world.run_due(T0 + timedelta(days=1))
    _file_many(world, ["301"])
    assert "complaints.clusters: 0" in world.run_due(T0 + timedelta(days=8))   # too spread out


def test_cluster_becomes_an_invitation_meeting(world: World) -> None:
    from models.meetings import Invitation, Meeting

    households = _file_many(world, ["101", "102", "201", "202", "301"])
    world.run_due(T0 + timedelta(days=1))
    with world.app.extensions["linli"].factory() as s:
        cluster_id = s.scalars(select(HotCluster.id)).one()
    runner = world.app.test_cli_runner()
    when = (datetime.now(UTC) + timedelta(days=10)).astimezone(T0.tzinfo)
    at = when.strftime("%Y-%m-%d 19:00")
    bad = runner.invoke(args=["complaints", "cluster-meeting", str(cluster_id), "--at", "明晚",
                              "--place", "3号楼活动室"])
    assert bad.exit_code != 0 and "--at" in bad.output and "Traceback" not in bad.output
    res = runner.invoke(args=["complaints", "cluster-meeting", str(cluster_id), "--at", at,
                              "--place", "3号楼活动室"])
    assert res.exit_code == 0, res.output
    assert "5 household(s) invited, 6 push(es) queued" in res.output   # 301 has two residents
    with world.app.extensions["linli"].factory() as s:
        m = s.scalars(select(Meeting)).one()
        assert m.meeting_type == "恳谈会" and m.place == "3号楼活动室" and "噪音扰民" in m.title
        invited = set(s.scalars(select(Invitation.household_id).where(Invitation.meeting_id == m.id)))
        assert invited == set(households)
        assert s.get(HotCluster, cluster_id).meeting_id == m.id
    assert any("诚邀您家参加恳谈会" in p for p in world.pushes("o-3-101"))
    again = runner.invoke(args=["complaints", "cluster-meeting", str(cluster_id), "--at", at,
                                "--place", "3号楼活动室"])
    assert again.exit_code != 0 and "已经转为会议" in again.output
    missing = runner.invoke(args=["complaints", "cluster-meeting", "999", "--at", at,
                                  "--place", "x"])
    assert missing.exit_code != 0 and "没有编号为 999" in missing.output


class _ClusterCommand:
    """Stands in for the NLU pattern the lead is asked to add: 转恳谈会 <编号> <时间> <地点>."""

    def __init__(self, nlu: Any, when: str):
        self.nlu, self.when = nlu, when

    def understand(self, text: str, now: Any = None) -> Any:
        from bot.nlu import Understanding

        if text.startswith("转恳谈会"):
            parts = text.split()
            slots = {"cluster": int(parts[1])} if len(parts) > 1 else {}
            if len(parts) > 2:
                slots.update(when=self.when, place=parts[-1])
            return Understanding("complaint.cluster_meeting", slots, 1.0, True, text)
        return self.nlu.understand(text, now)


def test_staff_turn_a_cluster_into_a_meeting_by_chat(world: World) -> None:
    from models.meetings import Invitation

    _file_many(world, ["101", "102", "201", "202", "401"])
    world.run_due(T0 + timedelta(days=1))
    dispatcher = world.app.extensions["linli"].service.dispatcher
    when = (datetime.now(UTC) + timedelta(days=10)).astimezone(T0.tzinfo).replace(
        hour=19, minute=0, second=0, microsecond=0)
    dispatcher.nlu = _ClusterCommand(dispatcher.nlu, when.isoformat())
    world.talk("o-a").run([("转恳谈会 1 某天 活动室", "需要工作人员权限")])
    world.talk("o-grid").run([("转恳谈会 1 某天 活动室", ["网格员不能", "居委会"])])   # 网格员 may not
    world.talk("o-head").run([
        ("转恳谈会 1", "请这样写：转恳谈会 热点编号 时间 地点"),
        ("转恳谈会 9 某天 活动室", "没有编号为 9 的热点问题"),
        ("转恳谈会 1 某天 3号楼活动室", ["已把热点问题 1 转为恳谈会", "3号楼活动室", "已邀请反映问题的 5 户",
                                  f"{when.month}月{when.day}日 19:00"]),
        ("转恳谈会 1 某天 3号楼活动室", "已经转为会议"),
    ])
    with world.app.extensions["linli"].factory() as s:
        assert len(s.scalars(select(Invitation)).all()) == 5
    assert any("诚邀您家参加恳谈会" in p for p in world.pushes("o-3-401"))


def test_one_problem_across_the_buildings_of_a_point_is_a_hot_issue_too(world: World) -> None:
    _file_many(world, ["101", "102", "201"])                  # 3号楼: 3 households
    _file_many(world, ["601", "602"], building="6")           # 6号楼: 2 more, same point
    assert "complaints.clusters: 1" in world.run_due(T0 + timedelta(days=1))
    with world.app.extensions["linli"].factory() as s:
        (cluster,) = s.scalars(select(HotCluster)).all()
        assert (cluster.level, cluster.households, cluster.category) == ("point", 5, "noise")
        assert s.get(f.Place, cluster.place_id).kind == "point"
    told = [p for p in world.pushes("o-head") if "热点问题" in p]
    assert len(told) == 1 and "黄巷新村" in told[0]
    assert "complaints.clusters: 0" in world.run_due(T0 + timedelta(days=1, hours=1))
