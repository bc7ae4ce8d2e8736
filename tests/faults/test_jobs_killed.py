"""The scheduler killed mid-job and restarted, job by job: `flask jobs run-due` runs in a
real process against a stand-in WeChat API over HTTP, is SIGKILLed in the middle of one
job's work (the test fault point in notices/jobs.py: LINLI_TEST_KILL), and is run again
later, as a restarted scheduler would. Then what residents and staff would notice:
every expected message reached the stand-in exactly once — or, when it was in flight at
the kill, is kept in the person's inbox and never pushed a second time — nothing else
was sent, and every state change the job makes happened once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.bulletins import PUBLISHED, Bulletin
from models.community import Household, Scope
from models.complaint_rules import SYSTEM, file_complaint, transition
from models.complaints import Complaint, ComplaintEvent, HotCluster
from models.db import transaction
from models.delivery import FAILED, SENT, Delivery
from models.jobs import JobRun
from models.meetings import DONE, Invitation, Meeting, Signup, create_meeting
from models.sandbox import SandboxMessage
from models.votes import OPEN, Vote, VoteEligible, cast_ballot, create_vote, snapshot_eligibility
from models.wechat import DialogState, InboundMessage
from notices import alljobs  # noqa: F401 - registers every job
from notices import bulletin_jobs, deliver
from notices.jobs import JOBS, KILL_ENV
from tests import factories as f
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Shanghai")
T = datetime(2030, 3, 5, 2, 0, tzinfo=UTC)          # 10:00 in the community: no quiet hours
RESTART = T + timedelta(minutes=3)                   # past the stale-send limit (1 minute)
RUNS = {T, RESTART}       # a state stamp is the clock of the run that made the change
ROOMS = ("301", "302", "401", "402", "501")
RESIDENTS = [f"o-{r}" for r in ROOMS]
STAFF = ("o-grid", "o-head")
KINDS = ("notice", "reply", "ticket", "ticket_staff", "vote", "meeting", "bulletin", "binding",
         "resident")
OVER = {"wechat": {"templates": {k: f"tpl-{k}" for k in KINDS}},
        "delivery": {"stale_sending_minutes": 1}}

Messages = set[tuple[str, str]]     # (openid, notice key; a key ending in ":" is a prefix)


def stamped(stamps: list[Any] | set[Any]) -> None:
    """Every one of them was stamped by the killed run or the restarted one."""
    assert stamps and set(stamps) <= RUNS, stamps


@dataclass
class Plan:
    messages: Callable[[Session], Messages]   # evaluated after the restart
    check: Callable[[Session], None]          # the job's state changes, each once


@dataclass
class Case:
    kill: str                                 # "<event>:<n>" while the job runs
    arrange: Callable[[Session, dict[str, int]], Plan]


def unit(s: Session, hh: dict[str, int]) -> Scope:
    h = s.get(Household, hh["301"])
    assert h is not None
    return Scope("unit", h.unit_id, "黄巷新村3号楼2单元")


def to_all(keys: list[str], people: tuple[str, ...] | list[str] = tuple(RESIDENTS)) -> Messages:
    return {(o, k) for k in keys for o in people}


# Votes ------------------------------------------------------------------------------------
def _votes(s: Session, hh: dict[str, int], opens: datetime, closes: datetime, state: str,
           voted: tuple[str, ...] = ()) -> list[int]:
    ids = []
    for i in (1, 2):
        v = create_vote(s, unit(s, hh), f"楼道表决{i}", "楼道不堆放杂物。", opens_at=opens,
                        closes_at=closes, now=opens - timedelta(hours=1))
        if state == OPEN:
            v.state = OPEN
            s.flush()
            snapshot_eligibility(s, v)
            for room in voted:
                cast_ballot(s, v, hh[room], "同意", f"o-{room}", opens + timedelta(minutes=5))
        ids.append(v.id)
    return ids


def votes_open(s: Session, hh: dict[str, int]) -> Plan:
    ids = _votes(s, hh, T - timedelta(minutes=1), T + timedelta(days=2), "draft")

    def check(s: Session) -> None:
        for v in ids:
            assert s.get(Vote, v).state == OPEN  # type: ignore[union-attr]
            assert s.scalar(select(func.count()).select_from(VoteEligible)
                            .where(VoteEligible.vote_id == v)) == len(ROOMS)
    return Plan(lambda s: to_all([f"vote:{v}:open" for v in ids]), check)


def votes_remind(s: Session, hh: dict[str, int]) -> Plan:
    ids = _votes(s, hh, T - timedelta(days=2), T + timedelta(hours=12), OPEN, voted=("301",))
    return Plan(lambda s: to_all([f"vote:{v}:remind" for v in ids], RESIDENTS[1:]),
                lambda s: stamped([s.get(Vote, v).reminded_at for v in ids]))  # type: ignore[union-attr]


def votes_close(s: Session, hh: dict[str, int]) -> Plan:
    ids = _votes(s, hh, T - timedelta(days=3), T - timedelta(minutes=1), OPEN, voted=("301", "302", "401"))

    def check(s: Session) -> None:
        for v in ids:
            vote = s.get(Vote, v)
            assert vote is not None and (vote.state, vote.result) == ("closed", "passed")
            stamped([vote.result_pushed_at, vote.closed_at])
    return Plan(lambda s: to_all([f"vote:{v}:result" for v in ids]), check)


# Requests ---------------------------------------------------------------------------------
def _complaints(s: Session, hh: dict[str, int], rooms: tuple[str, ...], filed: datetime,
                resolved: datetime | None = None) -> list[int]:
    ids = []
    for room in rooms:
        c = file_complaint(s, s.get(Household, hh[room]), f"o-{room}", "3号楼楼道灯坏了",  # type: ignore[arg-type]
                           "repair", filed, TZ)
        if resolved is not None:
            transition(s, c, "accepted", SYSTEM, None, resolved - timedelta(hours=1))
            transition(s, c, "resolved", SYSTEM, "已修好", resolved)
        ids.append(c.id)
    return ids


def complaints_sla(s: Session, hh: dict[str, int]) -> Plan:
    ids = _complaints(s, hh, ROOMS[:3], T - timedelta(hours=25))
    return Plan(lambda s: to_all([f"ticket:{c}:remind" for c in ids], STAFF),
                lambda s: stamped([s.get(Complaint, c).accept_reminded_at for c in ids]))  # type: ignore[union-attr]


def complaints_ask_rating(s: Session, hh: dict[str, int]) -> Plan:
    ids = _complaints(s, hh, ROOMS[:3], T - timedelta(days=3), resolved=T - timedelta(hours=25))
    return Plan(lambda s: {(f"o-{r}", f"ticket:{c}:ask-rating:0") for r, c in zip(ROOMS, ids, strict=False)},
                lambda s: stamped([s.get(Complaint, c).asked_rating_at for c in ids]))  # type: ignore[union-attr]


def complaints_auto_close(s: Session, hh: dict[str, int]) -> Plan:
    ids = _complaints(s, hh, ROOMS[:3], T - timedelta(days=10), resolved=T - timedelta(days=8))

    def check(s: Session) -> None:
        for c in ids:
            assert s.get(Complaint, c).state == "closed"  # type: ignore[union-attr]
            assert s.scalar(select(func.count()).select_from(ComplaintEvent).where(
                ComplaintEvent.complaint_id == c, ComplaintEvent.to_state == "closed")) == 1
    return Plan(lambda s: {(f"o-{r}", f"ticket:{c}:") for r, c in zip(ROOMS, ids, strict=False)}, check)


def complaints_clusters(s: Session, hh: dict[str, int]) -> Plan:
    ids = _complaints(s, hh, ROOMS, T - timedelta(hours=2))

    def check(s: Session) -> None:
        cluster = s.scalars(select(HotCluster)).one()
        assert cluster.households == 5
        stamped([cluster.notified_at])
        assert {s.get(Complaint, c).cluster_id for c in ids} == {cluster.id}  # type: ignore[union-attr]
    return Plan(lambda s: {("o-head", "cluster:")}, check)


# Meetings ---------------------------------------------------------------------------------
def _meeting(s: Session, hh: dict[str, int], starts: datetime, created: datetime,
             capacity: int | None = None) -> Meeting:
    h = s.get(Household, hh["301"])
    assert h is not None
    return create_meeting(s, title="加装电梯恳谈会", meeting_type="恳谈会", starts_at=starts,
                          place="3号楼架空层", scope=Scope("point", h.point_id, "黄巷新村"),
                          now=created, capacity=capacity)


def _sign(s: Session, hh: dict[str, int], m: Meeting, room: str, when: datetime) -> str:
    from models.meeting_signup import sign_up
    return sign_up(s, m.id, openid=f"o-{room}", household=s.get(Household, hh[room]), now=when).reason


def meetings_release(s: Session, hh: dict[str, int]) -> Plan:
    ids = []
    for _ in (1, 2):   # one place, held for 301 until just before T; 302 waits for it
        m = _meeting(s, hh, T + timedelta(days=3), T - timedelta(days=2), capacity=1)
        s.add(Invitation(meeting_id=m.id, household_id=hh["301"], created_at=T - timedelta(days=2)))
        m.reserved_until = T - timedelta(minutes=1)
        s.flush()
        assert _sign(s, hh, m, "302", T - timedelta(days=1)) == "waitlisted"
        ids.append(m.id)

    def check(s: Session) -> None:
        for mid in ids:
            stamped([s.get(Meeting, mid).reservations_released_at])  # type: ignore[union-attr]
            row = s.scalars(select(Signup).where(Signup.meeting_id == mid)).one()
            assert (row.openid, row.status, row.position) == ("o-302", "confirmed", None)
    return Plan(lambda s: {("o-302", f"meeting:{m}:promoted:") for m in ids}, check)


def meetings_remind(s: Session, hh: dict[str, int]) -> Plan:
    ids = []
    for _ in (1, 2):
        m = _meeting(s, hh, T + timedelta(hours=20), T - timedelta(days=4))
        for room in ROOMS[:3]:
            assert _sign(s, hh, m, room, T - timedelta(days=3)) == "confirmed"
        ids.append(m.id)
    return Plan(lambda s: to_all([f"meeting:{m}:remind24h" for m in ids], RESIDENTS[:3]),
                lambda s: stamped({r.reminded_24h_at for r in s.scalars(select(Signup))}))


def meetings_finish(s: Session, hh: dict[str, int]) -> Plan:
    ids = [_meeting(s, hh, T - timedelta(hours=3), T - timedelta(days=5)).id for _ in (1, 2)]

    def check(s: Session) -> None:
        for mid in ids:
            m = s.get(Meeting, mid)
            assert m is not None and m.state == DONE
            stamped([m.updated_at])
    return Plan(lambda s: set(), check)


# Bulletins, deliveries, housekeeping ------------------------------------------------------
def bulletins_publish_due(s: Session, hh: dict[str, int]) -> Plan:
    once = bulletin_jobs.create(s, title="明日停水", body="明天9点到12点停水。", topic="停水停电",
                                scope=unit(s, hh), now=T - timedelta(hours=1),
                                publish_at=T - timedelta(minutes=1), tz=TZ)
    daily = bulletin_jobs.create(s, title="垃圾分类提醒", body="今晚投放可回收物。", topic="停水停电",
                                 scope=unit(s, hh), now=T - timedelta(hours=1), cron="0 10 * * *",
                                 publish_at=T - timedelta(minutes=1), tz=TZ)

    def runs(s: Session) -> list[Bulletin]:
        return list(s.scalars(select(Bulletin).where(Bulletin.parent_id == daily.id)))

    def check(s: Session) -> None:
        assert s.get(Bulletin, once.id).state == PUBLISHED  # type: ignore[union-attr]
        assert [b.run_at for b in runs(s)] == [T]                       # one run, not two
        assert s.get(Bulletin, daily.id).next_run_at == T + timedelta(days=1)  # type: ignore[union-attr]
    return Plan(lambda s: to_all([once.notice_key] + [b.notice_key for b in runs(s)]), check)


def deliveries_send_due(s: Session, hh: dict[str, int]) -> Plan:
    keys = [f"notice:{i}" for i in range(4)]
    for k in keys:
        for o in RESIDENTS:
            deliver.enqueue(s, o, f"社区通知 {k}", notice_key=k, now=T - timedelta(minutes=1), tz=TZ)
    return Plan(lambda s: to_all(keys), lambda s: None)


def housekeeping_expire(s: Session, hh: dict[str, int]) -> Plan:
    for i, ahead in enumerate((-1, -1, -1, 60)):
        s.add(DialogState(openid=f"o-d{i}", state="meeting.create", data={},
                          expires_at=T + timedelta(minutes=ahead)))
        s.add(InboundMessage(dedup_key=f"msg-{i}", openid="o-301", msg_type="text",
                             received_at=T - timedelta(days=31 if ahead < 0 else 1)))

    def check(s: Session) -> None:
        assert list(s.scalars(select(DialogState.openid))) == ["o-d3"]
        assert list(s.scalars(select(InboundMessage.dedup_key))) == ["msg-3"]
    return Plan(lambda s: set(), check)


CASES: dict[str, Case] = {
    "votes.open": Case("after_commit:1", votes_open),         # one vote opened, one not
    "votes.remind": Case("after_commit:1", votes_remind),
    "votes.close": Case("after_commit:1", votes_close),
    "complaints.sla": Case("after_flush:3", complaints_sla),  # pushes written, not committed
    "complaints.ask_rating": Case("after_flush:2", complaints_ask_rating),
    "complaints.auto_close": Case("after_flush:3", complaints_auto_close),
    "complaints.clusters": Case("after_flush:2", complaints_clusters),
    "meetings.release": Case("after_commit:1", meetings_release),
    "meetings.remind": Case("after_flush:3", meetings_remind),
    "meetings.finish": Case("before_commit:1", meetings_finish),
    "bulletins.publish_due": Case("send:2", bulletins_publish_due),   # mid fan-out
    "deliveries.send_due": Case("send:4", deliveries_send_due),
    "housekeeping.expire": Case("before_commit:1", housekeeping_expire),
}


def test_every_registered_job_has_a_kill_case() -> None:
    assert set(JOBS) == set(CASES), "a new job needs a case in tests/faults/test_jobs_killed.py"


# The run ----------------------------------------------------------------------------------
def run_due(env: dict[str, str], clock: datetime) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "jobs", "run-due",
                           "--now", clock.astimezone(TZ).strftime("%Y-%m-%d %H:%M")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def fingerprint(openid: str, template_id: str, data: Any) -> tuple[str, str, str]:
    return openid, template_id, json.dumps(data, sort_keys=True, ensure_ascii=False)


def matches(d: Delivery, key: str) -> bool:
    return d.notice_key == key or (key.endswith(":") and d.notice_key.startswith(key))


@pytest.mark.parametrize("job", sorted(CASES))
def test_killed_mid_job_then_restarted(job: str, live: Any, db_url: str, tmp_path: Path) -> None:
    case = CASES[job]
    srv = live(**OVER)
    factory = srv.app.extensions["linli"].factory
    with transaction(factory) as s:
        hh = {r: f.household(s, room=r).id for r in ROOMS}
        for r in ROOMS:
            f.resident(s, f"o-{r}", s.get(Household, hh[r]), name=f"住户{r}")
        for openid, role in zip(STAFF, ("网格员", "居委会"), strict=True):
            f.staff(s, openid, role, name=role)
            f.resident(s, openid)                   # staff follow the account too
    with transaction(factory) as s:
        plan = case.arrange(s, hh)
    cfg = base_config(db_url, wechat={"api_base_url": srv.url + "/sandbox/api/", **OVER["wechat"]},
                      delivery=OVER["delivery"], sandbox={"enabled": False},
                      nlu={"warm_on_start": False})
    path = tmp_path / "jobs.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMUNITY_")},
           "COMMUNITY_CONFIG": str(path)}

    killed = run_due({**env, KILL_ENV: f"{job}:{case.kill}"}, T)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    with factory() as s:                            # it died inside that job
        assert s.scalars(select(JobRun.finished_at).where(JobRun.job == job)).all() == [None]
        # Work left undone is judged by what the job recorded, not by what the stand-in got:
        # sends run on several threads, so others may reach the stand-in before the kill lands.
        sent_at_kill = s.scalar(select(func.count()).select_from(Delivery)
                                .where(Delivery.status == SENT)) or 0

    again = run_due(env, RESTART)                   # the scheduler restarted
    assert again.returncode == 0, again.stdout + again.stderr
    tick = srv.app.test_cli_runner().invoke(        # and ticks on
        args=["jobs", "run-due", "--now", (RESTART + timedelta(minutes=1)).astimezone(TZ).strftime("%Y-%m-%d %H:%M")])
    assert tick.exit_code == 0, tick.output

    with factory() as s:
        plan.check(s)
        expected = plan.messages(s)
        rows = list(s.scalars(select(Delivery).order_by(Delivery.id)))
        pushes = Counter(fingerprint(p.openid, p.body.get("template_id", ""), p.body.get("data"))
                         for p in s.scalars(select(SandboxMessage).where(SandboxMessage.direction == "push")))
    covered = Counter(k for d in rows for k in expected if d.openid == k[0] and matches(d, k[1]))
    assert not expected or sent_at_kill < len(expected)       # the kill left work undone
    assert covered == Counter(expected), "one delivery for each expected message, and no other"
    assert len(rows) == len(expected)
    uncertain = 0
    for d in rows:
        got = pushes.pop(fingerprint(d.openid, f"tpl-{d.kind}", deliver._template_data(d)), 0)
        if d.status == SENT:
            assert got == 1, (d.notice_key, d.openid, got)           # exactly once
        else:   # in flight at the kill: maybe received, never resent, in the inbox
            assert (d.status, d.errmsg, d.channel, d.read) == (FAILED, deliver.UNCERTAIN, "inbox", False)
            assert got <= 1, (d.notice_key, d.openid, got)
            uncertain += 1
    assert not pushes, f"pushed but not an expected message: {pushes}"
    if case.kill.startswith("send:"):
        assert uncertain >= 1                       # the send cut off by the kill
