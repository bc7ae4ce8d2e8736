"""Tally benchmark: 10,000 eligible households, ~8,000 counted ballots, tallied by SQL.

    .venv/bin/python bench/tally.py [--households 10000] [--runs 15]

Runs on a fresh SQLite file, and on PostgreSQL too when TEST_DATABASE_URL is set. Prints the
median tally time (target < 100 ms) next to a baseline measured in the same run on the same
data (a plain COUNT(*) over the counted ballots of the vote), as figures and ratio.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from models import migrate  # noqa: E402
from models.community import BUILDING, POINT, UNIT, Community, Household, Place  # noqa: E402
from models.db import make_engine, make_sessionmaker, normalise_url, transaction  # noqa: E402
from models.vote_tally import decide_vote, tally  # noqa: E402
from models.votes import (OPEN, Ballot, CurrentBallot, Vote, VoteEligible,  # noqa: E402
                          snapshot_eligibility)
from models.resident import Resident  # noqa: E402

CHOICES = ["同意", "反对", "弃权"]


def build(engine: Engine, households: int) -> int:
    """One community, one point, one building, one big 'unit' scope of N households."""
    rnd = random.Random(42)
    factory = make_sessionmaker(engine)
    now = datetime.now(UTC)
    with transaction(factory) as s:
        c = Community(name="基准社区")
        s.add(c)
        s.flush()
        p = Place(community_id=c.id, kind=POINT, parent_id=None, name="基准新村", label="基准新村")
        s.add(p)
        s.flush()
        b = Place(community_id=c.id, kind=BUILDING, parent_id=p.id, name="1", label="基准新村1号楼")
        s.add(b)
        s.flush()
        u = Place(community_id=c.id, kind=UNIT, parent_id=b.id, name="1", label="基准新村1号楼1单元")
        s.add(u)
        s.flush()
        s.execute(insert(Household), [
            {"community_id": c.id, "point_id": p.id, "building_id": b.id, "unit_id": u.id,
             "room": str(i), "label": f"基准新村1号楼1单元{i}室",
             "area": Decimal(rnd.randint(4000, 14000)) / 100,
             "tenure": "owner" if rnd.random() < 0.85 else "tenant", "created_at": now}
            for i in range(1, households + 1)])
        ids = list(s.scalars(select(Household.id).order_by(Household.id)))
        s.execute(insert(Resident), [
            {"openid": f"o-bench-{h}", "followed": True, "household_id": h, "status": "verified",
             "cs_allowance": 0, "stairwell_head": False, "created_at": now} for h in ids])
        vote = Vote(scope_key=f"unit:{u.id}", scope_label=u.label, title="基准表决", text="",
                    options=list(CHOICES), opens_at=now, closes_at=now + timedelta(days=7),
                    rule="civil_code", state=OPEN, created_at=now)
        s.add(vote)
        s.flush()
        snapshot_eligibility(s, vote)
        voters = [h for h in ids if rnd.random() < 0.8]
        s.execute(insert(Ballot), [
            {"vote_id": vote.id, "household_id": h, "choice": rnd.choice(CHOICES),
             "cast_by": f"o-bench-{h}", "cast_at": now, "superseded": False} for h in voters])
        s.execute(insert(CurrentBallot).from_select(
            ["vote_id", "household_id", "ballot_id", "choice", "cast_at"],
            select(Ballot.vote_id, Ballot.household_id, Ballot.id, Ballot.choice, Ballot.cast_at)
            .where(Ballot.vote_id == vote.id)))
        return vote.id


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm the caches and the statement cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench(label: str, engine: Engine, households: int, runs: int) -> bool:
    t0 = time.perf_counter()
    migrate.upgrade(engine)
    vote_id = build(engine, households)
    built = time.perf_counter() - t0
    factory = make_sessionmaker(engine)
    with factory() as s:
        eligible = s.scalar(select(func.count()).select_from(VoteEligible)
                            .where(VoteEligible.vote_id == vote_id))
        baseline = median_ms(lambda: s.scalar(select(func.count()).select_from(CurrentBallot)
                                              .where(CurrentBallot.vote_id == vote_id)), runs)
        raw = median_ms(lambda: tally(s, vote_id), runs)
        vote = s.get(Vote, vote_id)
        assert vote is not None
        full = median_ms(lambda: decide_vote(s, vote), runs)
        decision, figures = decide_vote(s, vote)
    ok = full < 100
    print(f"[{label}] {eligible} eligible households, "
          f"{figures['participated']['households']} owner ballots counted "
          f"(built in {built:.1f} s, median of {runs} runs)")
    print(f"  baseline COUNT(*) over current ballots : {baseline:8.2f} ms")
    print(f"  tally (2 GROUP BY queries)             : {raw:8.2f} ms  ({raw / baseline:.1f}x baseline)")
    print(f"  tally + civil_code decision            : {full:8.2f} ms  ({full / baseline:.1f}x baseline)"
          f"  target < 100 ms: {'OK' if ok else 'MISSED'}  → {decision.result}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/tally.db")
        ok &= bench("sqlite", engine, args.households, args.runs)
        engine.dispose()
    pg = os.environ.get("TEST_DATABASE_URL")
    if pg:
        admin = create_engine(normalise_url(pg), isolation_level="AUTOCOMMIT")
        name = f"linli_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(normalise_url(pg)).set(database=name).render_as_string(hide_password=False)
            engine = make_engine(url)
            ok &= bench("postgresql", engine, args.households, args.runs)
            engine.dispose()
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        print("[postgresql] skipped: set TEST_DATABASE_URL to run it too")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
