"""Reminders 24 h and 1 h before, once each even when run twice at the same clock;
meetings are marked done after they end; held places are released to the waitlist."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from models import meeting_signup as ms
from models.community import Household
from models.db import transaction
from models.delivery import Delivery
from models.meetings import Meeting, Signup, create_invitation_meeting
from tests.meetings.conftest import World

TZ_OFFSET = timedelta(hours=8)
START = datetime(2030, 1, 11, 1, 0, tzinfo=UTC)        # 09:00 Shanghai
CREATED = START - timedelta(days=7)


def local(dt: datetime) -> str:
    return (dt + TZ_OFFSET).strftime("%Y-%m-%d %H:%M")


def sign(w: World, mid: int, openid: str, when: datetime) -> str:
    with transaction(w.linli.factory) as s:
        h = s.get(Household, w.households[openid])
        return ms.sign_up(s, mid, openid=openid, household=h, now=when).reason


def run(w: World, clock: datetime) -> str:
    res = w.app.test_cli_runner().invoke(args=["jobs", "run-due", "--now", local(clock)])
    assert res.exit_code == 0, res.output
    return res.output


def texts(w: World, key: str) -> dict[str, str]:
    with w.linli.factory() as s:
        return {d.openid: d.body["text"] for d in s.scalars(
            select(Delivery).where(Delivery.notice_key == key))}


def test_reminders_go_once_each_to_confirmed_attendees(world: World) -> None:
    w = world
    mid = w.meeting(starts_at=START, now=CREATED, capacity=2)
    assert sign(w, mid, "o-a", CREATED) == "confirmed"
    assert sign(w, mid, "o-b", CREATED) == "confirmed"
    assert sign(w, mid, "o-c", CREATED) == "waitlisted"
    day_before = START - timedelta(hours=23)
    assert "meetings.remind: 2" in run(w, day_before)
    assert "meetings.remind: 0" in run(w, day_before)
    r24 = texts(w, f"meeting:{mid}:remind24h")
    assert set(r24) == {"o-a", "o-b"}
    assert "加装电梯恳谈会" in r24["o-a"] and "1月11日 09:00" in r24["o-a"] and "签到码" in r24["o-a"]
    assert texts(w, f"meeting:{mid}:remind1h") == {}
    hour_before = START - timedelta(minutes=50)
    assert "meetings.remind: 2" in run(w, hour_before)
    assert "meetings.remind: 0" in run(w, hour_before)
    assert set(texts(w, f"meeting:{mid}:remind1h")) == {"o-a", "o-b"}
    assert len(texts(w, f"meeting:{mid}:remind24h")) == 2
    with w.linli.factory() as s:
        m = s.get(Meeting, mid)
        assert m is not None and m.state == "scheduled"
    run(w, START + timedelta(hours=2, minutes=1))
    assert w.get(mid).state == "done"


def test_late_sign_ups_get_only_the_reminder_still_ahead(world: World) -> None:
    w = world
    mid = w.meeting(starts_at=START, now=CREATED, capacity=None)
    sign(w, mid, "o-a", START - timedelta(hours=5))      # inside the 24 h window
    run(w, START - timedelta(hours=4))
    assert texts(w, f"meeting:{mid}:remind24h") == {}
    run(w, START - timedelta(minutes=30))
    assert set(texts(w, f"meeting:{mid}:remind1h")) == {"o-a"}


def test_invitation_meeting_holds_places_for_invited_households(world: World) -> None:
    w = world
    with transaction(w.linli.factory) as s:
        m = create_invitation_meeting(
            s, title="楼道堆物恳谈会", meeting_type="恳谈会", starts_at=START,
            place="3号楼架空层", household_ids=[w.households["o-d"], w.households["o-d"]],
            now=CREATED, capacity=2)
        mid, until = m.id, m.reserved_until
    assert until == START - timedelta(hours=48)
    invites = texts(w, f"meeting:{mid}:invite")
    assert set(invites) == {"o-d"} and f"报名 {mid}" in invites["o-d"]
    assert sign(w, mid, "o-a", CREATED) == "confirmed"
    assert sign(w, mid, "o-b", CREATED) == "waitlisted"     # the last place is held for o-d
    assert sign(w, mid, "o-d", CREATED) == "confirmed"
    assert sign(w, mid, "o-c", CREATED) == "waitlisted"
    with transaction(w.linli.factory) as s:
        res = ms.cancel_signup(s, mid, openid="o-d", now=CREATED)
        # o-d's household holds the place again until reserved_until
        assert [p.openid for p in res.promoted] == []
    run(w, until + timedelta(minutes=1))                    # held place released → o-b
    with w.linli.factory() as s:
        rows = {r.openid: r for r in s.scalars(select(Signup).where(Signup.meeting_id == mid))}
    assert rows["o-b"].status == "confirmed" and rows["o-c"].position == 1
    assert any("递补成功" in t for k, t in _all(w, "o-b"))


def _all(w: World, openid: str) -> list[tuple[str, str]]:
    with w.linli.factory() as s:
        return [(d.notice_key, d.body["text"]) for d in s.scalars(
            select(Delivery).where(Delivery.openid == openid))]


def test_jobs_list_names_the_meeting_jobs(app: Any) -> None:
    out = app.test_cli_runner().invoke(args=["jobs", "list"]).output
    assert "meetings.remind" in out and "meetings.finish" in out and "meetings.release" in out
