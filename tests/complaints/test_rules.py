"""The state graph as a table, ticket numbers under concurrency, statistics, the CLI."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models.complaint_rules import (
    TRANSITIONS,
    Actor,
    TransitionError,
    file_complaint,
    refusal,
    transition,
)
from models.complaint_stats import complaint_stats
from models.complaints import STATE_LABELS, Complaint, ComplaintEvent
from models.db import transaction
from tests import factories as f
from tests.complaints.conftest import T0, World, build_people

STATES = list(STATE_LABELS)
# Why each allowed move exists; every other pair must be refused.
ALLOWED = {
    ("submitted", "accepted"): "受理",
    ("submitted", "rejected"): "不予受理",
    ("submitted", "merged"): "重复的诉求",
    ("accepted", "in_progress"): "转办 / 开始处理",
    ("accepted", "resolved"): "受理后当场办结",
    ("accepted", "rejected"): "受理后发现不归社区管",
    ("accepted", "merged"): "受理后发现重复",
    ("in_progress", "resolved"): "办结",
    ("in_progress", "rejected"): "处理中发现不归社区管",
    ("in_progress", "merged"): "处理中发现重复",
    ("resolved", "closed"): "评价或 7 天后自动归档",
    ("resolved", "in_progress"): "居民说没修好",
}


def test_the_graph_is_exactly_the_table() -> None:
    graph = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert graph == set(ALLOWED)


@pytest.mark.parametrize("from_state,to_state", [
    (a, b) for a in STATES for b in STATES if (a, b) not in ALLOWED])
def test_every_illegal_transition_is_refused_with_a_message(from_state: str, to_state: str) -> None:
    c = Complaint(ticket="TS20261127-0001", state=from_state)
    with pytest.raises(TransitionError) as err:
        transition(None, c, to_state, Actor("staff", "1"), None, T0)  # type: ignore[arg-type]
    message = str(err.value)
    assert message == refusal(from_state, to_state)
    assert message.startswith("该诉求") and message.endswith("。")
    assert c.state == from_state


def test_refusal_wording_examples() -> None:
    assert refusal("resolved", "accepted") == "该诉求已办结，不能再受理。"
    assert refusal("submitted", "resolved") == "该诉求还未受理，不能办结。"
    assert refusal("closed", "in_progress") == "该诉求已评价归档，不能再转为处理中。"
    assert refusal("rejected", "rejected") == "该诉求已经是“不予受理”状态了。"
    assert refusal("submitted", "accepted") is None


def test_fifty_concurrent_requests_get_fifty_tickets(make_app: Any) -> None:
    apps = [make_app(), make_app()]            # two worker processes on one database
    build_people(apps[0])
    with apps[0].extensions["linli"].factory() as s:
        hid = s.scalars(select(f.Household.id)).first()
    now = datetime.now(UTC)
    tickets: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(50)

    def file_one(i: int) -> None:
        linli = apps[i % 2].extensions["linli"]
        try:
            start.wait()
            with transaction(linli.factory) as s:
                h = s.get(f.Household, hid)
                c = file_complaint(s, h, "o-a", f"问题 {i}", "repair", now, linli.settings.community.tz)
                ticket = c.ticket
            tickets.append(ticket)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=file_one, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    day = now.astimezone(apps[0].extensions["linli"].settings.community.tz).strftime("%Y%m%d")
    assert sorted(tickets) == [f"TS{day}-{n:04d}" for n in range(1, 51)]
    with apps[1].extensions["linli"].factory() as s:
        assert len(set(s.scalars(select(Complaint.ticket)))) == 50


def test_ticket_day_is_the_community_day(world: World) -> None:
    world.at(datetime(2026, 11, 27, 23, 30, tzinfo=T0.tzinfo))   # 15:30 UTC
    assert "TS20261127-0001" in world.say("o-a", "诉求 楼道灯坏了")
    world.at(datetime(2026, 11, 28, 0, 30, tzinfo=T0.tzinfo))    # still the 27th in UTC
    assert "TS20261128-0001" in world.say("o-c", "诉求 路灯坏了")


def test_statistics(world: World) -> None:
    t1 = world.ticket_of(world.say("o-a", "诉求 楼道灯坏了"))
    t2 = world.ticket_of(world.say("o-c", "投诉 晚上广场舞太吵了"))
    world.later(hours=2)
    world.say("o-grid", f"受理 {t1}")
    world.say("o-grid", f"受理 {t2}")
    world.later(hours=4)
    world.say("o-grid", f"办结 {t1} 已修")
    world.say("o-grid", f"办结 {t2} 已劝导")
    world.say("o-a", f"评价 {t1} 5")
    world.say("o-c", f"评价 {t2} 2 还是吵")
    world.ticket_of(world.say("o-b", "诉求 小区门口路面坑洼"))
    with world.app.extensions["linli"].factory() as s:
        st = complaint_stats(s)
        assert complaint_stats(s, since=T0 + timedelta(hours=3))["total"] == 1
    assert st["total"] == 3
    assert st["by_state"]["closed"] == 2 and st["by_state"]["submitted"] == 1
    assert st["by_category"]["repair"] == 2 and st["by_category"]["noise"] == 1
    assert st["median_hours_to_accept"] == 2.0 and st["median_hours_to_resolve"] == 6.0
    assert st["ratings"]["average"] == 3.5
    assert st["ratings"]["distribution"] == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}


def test_cli_list_and_show(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 楼道灯坏了"))
    world.say("o-grid", f"受理 {t}")
    world.ticket_of(world.say("o-c", "诉求 路灯坏了"))
    runner = world.app.test_cli_runner()
    out = runner.invoke(args=["complaints", "list", "--state", "accepted"]).output
    assert t in out and "1 request(s)" in out
    late = (T0 + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    out = runner.invoke(args=["complaints", "list", "--overdue", "--now", late]).output
    assert "1 request(s)" in out and "超时" in out and t not in out   # accepted: 7 days to go
    res = runner.invoke(args=["complaints", "show", t])
    assert res.exit_code == 0 and "submitted → accepted" in res.output and "楼道灯坏了" in res.output
    res = runner.invoke(args=["complaints", "show", "TS20990101-0001"])
    assert res.exit_code != 0 and "no request" in res.output and "Traceback" not in res.output
    with world.app.extensions["linli"].factory() as s:
        assert s.scalar(select(ComplaintEvent.id).where(ComplaintEvent.to_state == "accepted"))
