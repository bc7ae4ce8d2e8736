"""The database itself keeps a meeting's capacity (meeting.confirmed, counted by triggers,
held by ck_meeting_capacity): writes that bypass models.meeting_signup cannot overfill a
meeting, a cancellation frees the place there too, and the domain turns the database's
refusal into a plain answer (waitlisted, or "已有 N 人报名成功") rather than an error."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

import models
from models import meeting_signup as ms
from models import migrate
from models.community import Household
from models.db import make_engine, make_sessionmaker, transaction
from models.meetings import CAPACITY_CHECK, Meeting, MeetingError, Signup, edit_meeting, get_meeting
from tests.conftest import pg_database
from tests.meetings.conftest import World
from tests.wechat_side import WeChatSide

NOW = datetime.now(UTC)


def engine_of(w: World) -> Engine:
    return w.linli.engine


def sign(w: World, mid: int, openid: str) -> str:
    with transaction(w.linli.factory) as s:
        return ms.sign_up(s, mid, openid=openid, household=s.get(Household, w.households[openid]),
                          now=NOW).reason


def raw_confirmed(engine: Engine, mid: int, openid: str, code: str) -> None:
    """A confirmed sign-up written straight into the table: no lock, no count, no domain."""
    with engine.begin() as c:
        c.execute(insert(Signup).values(meeting_id=mid, openid=openid, status="confirmed",
                                        checkin_code=code, invited=False, created_at=NOW,
                                        confirmed_at=NOW))


def counted(engine: Engine, mid: int) -> tuple[int, int]:
    """(the database's counter, the confirmed rows) — always equal."""
    with engine.connect() as c:
        counter = c.execute(text("SELECT confirmed FROM meeting WHERE id = :m"), {"m": mid}).scalar()
        rows = c.execute(select(func.count()).select_from(Signup).where(
            Signup.meeting_id == mid, Signup.status == "confirmed")).scalar()
    return int(counter or 0), int(rows or 0)


def refused(exc: pytest.ExceptionInfo[IntegrityError]) -> bool:
    return CAPACITY_CHECK in str(exc.value.orig)


def test_raw_writes_past_the_capacity_are_refused_by_the_database(world: World) -> None:
    w, engine = world, engine_of(world)
    mid = w.meeting(capacity=2)
    assert [sign(w, mid, o) for o in ("o-a", "o-b", "o-c")] == ["confirmed", "confirmed", "waitlisted"]
    assert counted(engine, mid) == (2, 2)
    with pytest.raises(IntegrityError) as ins:
        raw_confirmed(engine, mid, "o-intruder", "999999")
    assert refused(ins)
    with pytest.raises(IntegrityError) as upd:          # promoting the waitlisted by hand
        with engine.begin() as c:
            c.execute(text("UPDATE meeting_signup SET status = 'confirmed', position = NULL "
                           "WHERE meeting_id = :m AND openid = 'o-c'"), {"m": mid})
    assert refused(upd)
    with pytest.raises(IntegrityError) as cap:          # shrinking the room by hand
        with engine.begin() as c:
            c.execute(text("UPDATE meeting SET capacity = 1 WHERE id = :m"), {"m": mid})
    assert refused(cap)
    with pytest.raises(IntegrityError) as counter:      # or forging the counter
        with engine.begin() as c:
            c.execute(text("UPDATE meeting SET confirmed = 0 - 1 WHERE id = :m"), {"m": mid})
    assert refused(counter)
    assert counted(engine, mid) == (2, 2)
    assert w.get(mid).capacity == 2
    with w.linli.factory() as s:
        c_row = s.scalars(select(Signup).where(Signup.meeting_id == mid, Signup.openid == "o-c")).one()
        assert (c_row.status, c_row.position) == ("waitlisted", 1)


def test_cancelling_frees_the_place_in_the_database_too(world: World, wechat: WeChatSide) -> None:
    w, engine = world, engine_of(world)
    mid = w.meeting(capacity=2)
    for who in ("o-a", "o-b"):
        assert "报名成功" in wechat.say(who, f"报名 {mid}")
    assert counted(engine, mid) == (2, 2)
    assert "已取消报名" in wechat.say("o-a", f"取消报名 {mid}")
    assert counted(engine, mid) == (1, 1)
    raw_confirmed(engine, mid, "o-walk-in", "111111")   # the freed place, taken by hand
    assert counted(engine, mid) == (2, 2)
    with engine.begin() as c:                           # a confirmed row deleted by hand
        c.execute(text("DELETE FROM meeting_signup WHERE openid = 'o-walk-in'"))
    assert counted(engine, mid) == (1, 1)
    # the domain path end to end keeps the counter exact: waitlist, promotion, check-in
    assert "报名成功" in wechat.say("o-c", f"报名 {mid}")
    assert "候补第 1 位" in wechat.say("o-d", f"报名 {mid}")
    assert "已取消报名" in wechat.say("o-b", f"取消报名 {mid}")   # o-d promoted
    assert counted(engine, mid) == (2, 2)
    with transaction(w.linli.factory) as s:
        code = s.scalar(select(Signup.checkin_code).where(Signup.meeting_id == mid,
                                                          Signup.openid == "o-d"))
        starts = s.get(Meeting, mid).starts_at      # check-in opens shortly before the start
        assert ms.check_in(s, mid, code or "", by="test", now=starts)[0] == "ok"
    assert counted(engine, mid) == (2, 2)


def test_two_writers_that_skip_the_lock_cannot_both_take_the_last_place(world: World) -> None:
    """Both see one free place and insert without locking the meeting; the database makes
    the second wait for the first (the counter's row), then refuses it."""
    w, engine = world, engine_of(world)
    mid = w.meeting(capacity=2)
    assert sign(w, mid, "o-a") == "confirmed"
    first_wrote, outcome = threading.Event(), {}

    def first() -> None:
        with engine.begin() as c:
            c.execute(insert(Signup).values(meeting_id=mid, openid="o-x1", status="confirmed",
                                            checkin_code="100001", invited=False, created_at=NOW))
            first_wrote.set()
            time.sleep(0.5)                 # the second writer is now blocked on us

    def second() -> None:
        first_wrote.wait(10)
        try:
            raw_confirmed(engine, mid, "o-x2", "100002")
            outcome["second"] = "written"
        except IntegrityError as exc:
            outcome["second"] = "refused" if CAPACITY_CHECK in str(exc.orig) else str(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcome == {"second": "refused"}
    assert counted(engine, mid) == (2, 2)


def test_a_resident_is_waitlisted_when_the_database_counts_the_meeting_full(
        world: World, wechat: WeChatSide) -> None:
    """Should the counter ever disagree with the rows (here forged to 'full'), the
    resident gets the ordinary waitlist answer, and a promotion simply waits."""
    w, engine = world, engine_of(world)
    mid = w.meeting(capacity=2)
    assert sign(w, mid, "o-a") == "confirmed"
    with engine.begin() as c:
        c.execute(text("UPDATE meeting SET confirmed = 2 WHERE id = :m"), {"m": mid})
    reply = wechat.say("o-b", f"报名 {mid}")
    assert "名额已满" in reply and "候补第 1 位" in reply
    with transaction(w.linli.factory) as s:
        m = get_meeting(s, mid, lock=True)
        assert m is not None and ms.fill_places(s, m, NOW) == []
    assert "候补第 2 位" in wechat.say("o-c", f"报名 {mid}")
    assert "已取消报名" in wechat.say("o-c", f"取消报名 {mid}")
    assert "候补第 2 位" in wechat.say("o-c", f"报名 {mid}")     # their old row, reused
    with w.linli.factory() as s:
        rows = {r.openid: (r.status, r.position) for r in s.scalars(
            select(Signup).where(Signup.meeting_id == mid))}
    assert rows == {"o-a": ("confirmed", None), "o-b": ("waitlisted", 1), "o-c": ("waitlisted", 2)}
    assert counted(engine, mid) == (2, 1)       # the forged count stays; nobody got past it


def test_lowering_the_capacity_below_the_confirmed_gets_a_clear_answer(world: World) -> None:
    w, engine = world, engine_of(world)
    mid = w.meeting(capacity=3)
    for who in ("o-a", "o-b"):
        assert sign(w, mid, who) == "confirmed"
    res = w.app.test_cli_runner().invoke(args=["meeting", "edit", str(mid), "--capacity", "1"])
    assert res.exit_code != 0 and "已有 2 人报名成功" in res.output and "--capacity" in res.output
    assert w.get(mid).capacity == 3
    # The database's refusal (its counter ahead of the rows the domain counts) gets the
    # same answer, not an IntegrityError.
    with engine.begin() as c:
        c.execute(text("UPDATE meeting SET confirmed = 3 WHERE id = :m"), {"m": mid})
    with transaction(w.linli.factory) as s:
        m = get_meeting(s, mid, lock=True)
        assert m is not None
        with pytest.raises(MeetingError) as err:
            edit_meeting(s, m, NOW, capacity=2)
        assert err.value.field == "capacity" and "人数上限不能低于" in str(err.value)
    assert w.get(mid).capacity == 3
    ok = w.app.test_cli_runner().invoke(args=["meeting", "edit", str(mid), "--capacity", "4"])
    assert ok.exit_code == 0, ok.output


# The schema itself: migration on existing data, downgrade, create_all -----------------------
def _alembic(engine: Engine, fn: Any, target: str) -> None:
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        fn(cfg, target)


def _old_meeting(c: Any, capacity: int | None, confirmed: int, waiting: int = 0) -> int:
    t = NOW + timedelta(days=3)
    mid = c.execute(text(
        "INSERT INTO meeting (title, meeting_type, starts_at, ends_at, place, agenda, capacity, "
        "signup_deadline, scope_key, scope_label, state, created_by, created_at, updated_at, "
        "sequence) VALUES ('旧会', '恳谈会', :t, :t, '活动室', '', :cap, :t, 'point:1', '', "
        "'scheduled', '', :t, :t, 0) RETURNING id"), {"t": t.replace(tzinfo=None), "cap": capacity}).scalar()
    for i in range(confirmed + waiting):
        status = "confirmed" if i < confirmed else "waitlisted"
        c.execute(text("INSERT INTO meeting_signup (meeting_id, openid, status, position, "
                       "checkin_code, invited, created_at) VALUES (:m, :o, :s, :p, :c, false, :t)"),
                  {"m": mid, "o": f"o-old-{mid}-{i}", "s": status, "c": f"{i:06d}",
                   "p": None if i < confirmed else i - confirmed + 1, "t": t.replace(tzinfo=None)})
    return int(mid)


def test_the_migration_counts_existing_sign_ups_and_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        _alembic(engine, command.downgrade, "0005")
        with engine.begin() as c:
            full, open_, unlimited = (_old_meeting(c, 2, 2, waiting=1), _old_meeting(c, 5, 1),
                                      _old_meeting(c, None, 3))
        migrate.upgrade(engine)
        assert migrate.is_current(engine)
        assert [counted(engine, m) for m in (full, open_, unlimited)] == [(2, 2), (1, 1), (3, 3)]
        with pytest.raises(IntegrityError):
            raw_confirmed(engine, full, "o-late", "777777")
        _alembic(engine, command.downgrade, "0005")     # a real downgrade: counter and guard gone
        with engine.begin() as c:
            c.execute(text("UPDATE meeting SET capacity = 1 WHERE id = :m"), {"m": full})
        with engine.connect() as c:
            assert "confirmed" not in {col["name"] for col in inspect(c).get_columns("meeting")}
        with pytest.raises(RuntimeError, match=rf"meeting {full}: 2 confirmed, capacity 1"):
            migrate.upgrade(engine)                     # over capacity: the operator decides
    finally:
        engine.dispose()


@pytest.fixture
def fresh_url(db_url: str, tmp_path: Any) -> Any:
    """An empty database of the same backend (no migrations)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/create_all.db"
        return
    with pg_database("linli_ca") as url:
        yield url


def test_a_schema_made_from_the_models_has_the_same_guard(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        models.Base.metadata.create_all(engine)
        with transaction(make_sessionmaker(engine)) as s:
            m = Meeting(title="会", meeting_type="恳谈会", starts_at=NOW, ends_at=NOW, place="室",
                        capacity=1, signup_deadline=NOW, scope_key="point:1")
            s.add(m)
            s.flush()
            mid = m.id
        raw_confirmed(engine, mid, "o-1", "000001")
        with pytest.raises(IntegrityError) as exc:
            raw_confirmed(engine, mid, "o-2", "000002")
        assert refused(exc)
        assert counted(engine, mid) == (1, 1)
    finally:
        engine.dispose()
