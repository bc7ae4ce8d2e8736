"""Publishing bulletins from the command line and the scheduler, over real HTTP to the
stand-in WeChat API: who gets them, when, how often."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from models.bulletins import PUBLISHED, Bulletin
from models.db import transaction
from models.delivery import SENT, MassSend
from tests.conftest import QUIET_HOURS
from tests.bulletins.helpers import (
    UNIT32,
    cli,
    community,
    deliveries,
    next_local,
    publish,
    pushed_to,
    pushes,
    say,
    text_of,
)

TEMPLATES = {"templates": {"bulletin": "TPL1"}}


def test_scope_and_topic_decide_who_gets_a_bulletin(live: Any) -> None:
    srv = live()
    community(srv.app)
    for openid in [*UNIT32, "o-501"]:
        say(srv.app, openid, "你好")
    assert "不再给您发“停水停电”" in say(srv.app, "o-302", "退订 停水停电")
    clock = text_of(next_local(10))
    bid = publish(srv.app, "--now", clock, scope="3号楼2单元", topic="停水停电")
    assert pushed_to(srv.app) == {"o-301": 1, "o-401": 1}
    assert "明天9点到12点停水" in pushes(srv.app, "o-301")[0].body["text"]["content"]
    publish(srv.app, "--now", clock, scope="全社区", topic="活动", title="重阳节活动",
            body="周六上午9点在活动室包饺子")
    assert pushed_to(srv.app) == {"o-301": 2, "o-401": 2, "o-302": 1, "o-501": 1}
    assert set(deliveries(srv.app, f"bulletin:{bid}")) == {"o-301", "o-401"}


def test_publish_prints_the_id_and_the_counts_and_refuses_bad_input(live: Any) -> None:
    srv = live()
    community(srv.app)
    say(srv.app, "o-301", "你好")
    res = cli(srv.app, "bulletin", "publish", "--scope", "3号楼2单元", "--topic", "活动",
              "--title", "读书会", "--body", "周日下午", "--now", text_of(next_local(10)))
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0].isdigit()
    assert "recipients 3: deferred 2, sent 1" in res.stdout
    assert "sending 3/3" in res.stderr
    for args, named in ((["--topic", "八卦"], "--topic"), (["--scope", "9号楼"], "--scope"),
                        (["--cron", "every day"], "--cron"), (["--at", "明天"], "--at")):
        base = {"--scope": "3号楼2单元", "--topic": "活动", "--title": "t", "--body": "b"}
        base[args[0]] = args[1]
        bad = cli(srv.app, "bulletin", "publish", *[x for kv in base.items() for x in kv])
        assert bad.exit_code != 0 and named in bad.output and "Traceback" not in bad.output


def test_a_scheduled_bulletin_goes_out_once_when_due(live: Any) -> None:
    srv = live()
    community(srv.app)
    for openid in UNIT32:
        say(srv.app, openid, "你好")
    at = next_local(10)
    publish(srv.app, "--at", text_of(at), "--now", text_of(at - timedelta(hours=1)))
    assert pushes(srv.app) == []
    early = cli(srv.app, "jobs", "run-due", "--now", text_of(at - timedelta(minutes=1)))
    assert "bulletins.publish_due: 0" in early.output
    first = cli(srv.app, "jobs", "run-due", "--now", text_of(at))
    second = cli(srv.app, "jobs", "run-due", "--now", text_of(at))
    assert "bulletins.publish_due: 1" in first.output
    assert "bulletins.publish_due: 0" in second.output
    assert pushed_to(srv.app) == {"o-301": 1, "o-302": 1, "o-401": 1}


def test_a_recurring_bulletin_is_a_new_notice_each_run_delivered_once(live: Any) -> None:
    srv = live(wechat=TEMPLATES)
    community(srv.app)
    nine = next_local(9)
    bid = publish(srv.app, "--cron", "0 9 * * *", "--now", text_of(nine - timedelta(hours=2)),
                  topic="安全提醒", title="出门关好燃气", body="每日提醒")
    for clock in (nine, nine, nine + timedelta(minutes=30), nine + timedelta(days=1)):
        cli(srv.app, "jobs", "run-due", "--now", text_of(clock))
    assert pushed_to(srv.app) == {"o-301": 2, "o-302": 2, "o-401": 2}
    assert {p.api for p in pushes(srv.app)} == {"template"}
    with srv.app.extensions["linli"].factory() as s:
        runs = list(s.scalars(select(Bulletin).where(Bulletin.parent_id == bid)
                              .order_by(Bulletin.run_at)))
        parent = s.get(Bulletin, bid)
    assert [r.run_at for r in runs] == [nine, nine + timedelta(days=1)]
    assert all(r.state == PUBLISHED and r.recipients == 3 for r in runs)
    assert parent is not None and parent.next_run_at == nine + timedelta(days=2)
    for run in runs:
        assert {d.status for d in deliveries(srv.app, f"bulletin:{run.id}").values()} == {SENT}


def test_quiet_hours_hold_a_non_urgent_bulletin_until_seven(live: Any) -> None:
    srv = live(wechat=TEMPLATES, delivery=QUIET_HOURS)
    community(srv.app)
    night = next_local(23)
    seven = night + timedelta(hours=8)
    publish(srv.app, "--at", text_of(night), "--now", text_of(night - timedelta(hours=1)))
    urgent = publish(srv.app, "--urgent", "--now", text_of(night), topic="安全提醒",
                     title="燃气泄漏", body="3号楼请立即开窗")
    assert pushed_to(srv.app) == {"o-301": 1, "o-302": 1, "o-401": 1}     # the urgent one
    assert {d.status for d in deliveries(srv.app, f"bulletin:{urgent}").values()} == {SENT}
    cli(srv.app, "jobs", "run-due", "--now", text_of(night))
    row = deliveries(srv.app, "bulletin:1")["o-301"]
    assert row.status == "pending" and row.next_attempt_at == seven
    cli(srv.app, "jobs", "run-due", "--now", text_of(seven - timedelta(minutes=1)))
    assert len(pushes(srv.app)) == 3
    morning = cli(srv.app, "jobs", "run-due", "--now", text_of(seven))
    assert "deliveries.send_due: 3" in morning.output
    assert pushed_to(srv.app) == {"o-301": 2, "o-302": 2, "o-401": 2}


def test_mass_send_skips_people_at_the_monthly_limit(live: Any) -> None:
    srv = live(wechat=TEMPLATES)
    community(srv.app)
    clock = next_local(10)
    with transaction(srv.app.extensions["linli"].factory) as s:
        s.add_all([MassSend(openid="o-501", notice_key=f"old:{i}", sent_at=clock - timedelta(hours=i))
                   for i in range(4)])
    res = cli(srv.app, "bulletin", "publish", "--scope", "全社区", "--topic", "政策",
              "--title", "垃圾分类新规", "--body", "12月起执行", "--mass", "--now", text_of(clock))
    assert "mass 3" in res.stdout
    apis = {p.openid: p.api for p in pushes(srv.app)}
    assert apis == {"o-301": "mass", "o-302": "mass", "o-401": "mass", "o-501": "template"}
    with srv.app.extensions["linli"].factory() as s:
        assert len(list(s.scalars(select(MassSend).where(MassSend.openid == "o-301")))) == 1


def test_a_cancelled_bulletin_never_goes_out_and_the_list_shows_states(live: Any) -> None:
    srv = live(wechat=TEMPLATES)
    community(srv.app)
    at = next_local(10)
    bid = publish(srv.app, "--at", text_of(at), "--now", text_of(at - timedelta(hours=1)))
    weekly = publish(srv.app, "--cron", "0 9 * * 1", topic="社区动态", title="每周动态", body="见公告栏")
    assert f"bulletin {bid} cancelled" in cli(srv.app, "bulletin", "cancel", str(bid)).output
    again = cli(srv.app, "bulletin", "cancel", str(bid))
    assert again.exit_code != 0 and "not scheduled" in again.output
    cli(srv.app, "jobs", "run-due", "--now", text_of(at))
    assert pushes(srv.app) == []
    listing = cli(srv.app, "bulletin", "list").output
    assert f"{bid}\tcancelled" in listing and f"{weekly}\tscheduled" in listing
    assert "cron=0 9 * * 1" in listing
