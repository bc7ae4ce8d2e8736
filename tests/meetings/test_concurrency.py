"""200 people sign up for 50 places at once, from two app instances (two workers) on one
database: exactly 50 confirmed, 150 waitlisted at positions 1..150, none twice."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from models import meeting_signup as ms
from models.community import Household
from models.db import transaction
from models.meetings import Signup
from tests import factories as f
from tests.meetings.conftest import build_world

N, PLACES = 200, 50


def test_200_concurrent_sign_ups_for_50_places(make_app: Any) -> None:
    a, b = make_app(), make_app()
    w = build_world(a)
    mid = w.meeting(capacity=PLACES)
    with transaction(a.extensions["linli"].factory) as s:
        people = []
        for i in range(N):
            h = f.household(s, building="9", unit=str(1 + i // 50), room=str(1000 + i))
            f.resident(s, f"o-many-{i}", h, name=f"居民{i}")
            people.append((f"o-many-{i}", h.id))
    start = threading.Barrier(16)
    now = datetime.now(UTC)

    def one(i: int) -> str:
        openid, hid = people[i]
        factory = (a if i % 2 else b).extensions["linli"].factory
        if i < 16:
            start.wait(timeout=30)   # the first wave starts together
        with transaction(factory) as s:
            res = ms.sign_up(s, mid, openid=openid, household=s.get(Household, hid),
                             now=now)
            return res.reason

    with ThreadPoolExecutor(max_workers=16) as pool:
        reasons = list(pool.map(one, range(N)))
    assert Counter(reasons) == {"confirmed": PLACES, "waitlisted": N - PLACES}
    with a.extensions["linli"].factory() as s:
        rows = list(s.scalars(select(Signup).where(Signup.meeting_id == mid)))
    assert len(rows) == N
    assert sum(r.status == "confirmed" for r in rows) == PLACES
    waiting = sorted(r.position for r in rows if r.status == "waitlisted")
    assert waiting == list(range(1, N - PLACES + 1))
    assert len({r.checkin_code for r in rows}) == N
    assert len({r.openid for r in rows}) == N
    # cancelling three confirmed places promotes positions 1, 2, 3 in that order, and the
    # rest of the queue closes up to 1..147
    first_three = [r.openid for r in sorted(
        (r for r in rows if r.status == "waitlisted"), key=lambda r: r.position)][:3]
    leaving = [r.openid for r in rows if r.status == "confirmed"][:3]
    promoted = []
    for openid in leaving:
        with transaction(b.extensions["linli"].factory) as s:
            res = ms.cancel_signup(s, mid, openid=openid, now=now + timedelta(seconds=1))
            promoted += [p.openid for p in res.promoted]
    assert promoted == first_three
    with a.extensions["linli"].factory() as s:
        left = sorted(s.scalars(select(Signup.position).where(
            Signup.meeting_id == mid, Signup.status == "waitlisted")))
        assert left == list(range(1, N - PLACES - 3 + 1))
        assert ms.confirmed_count(s, mid) == PLACES
