"""SQLite writers queue on <database>.lock: the next one goes as soon as the last commits
or rolls back, one stuck past the busy timeout gets SQLAlchemy's OperationalError (the
webhook's 503), and read-then-write stays atomic across processes."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from models.db import make_engine, make_sessionmaker, transaction

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/lock.db"
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        c.execute(text("INSERT INTO counter VALUES (0)"))
    engine.dispose()
    return url


def _wait_for_write(url: str, timeout_ms: int, held: threading.Event) -> float:
    """When a second engine got to write while the first held a transaction."""
    other = make_engine(url, busy_timeout_ms=timeout_ms)
    held.wait(5)
    try:
        with other.begin() as c:
            c.execute(text("UPDATE counter SET n = n + 1"))
            return time.perf_counter()
    finally:
        other.dispose()


@pytest.mark.parametrize("ending", ["commit", "rollback", "close"])
def test_the_next_writer_goes_as_soon_as_the_first_is_done(url: str, ending: str) -> None:
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    held, wrote = threading.Event(), []
    waiter = threading.Thread(target=lambda: wrote.append(_wait_for_write(url, 5000, held)))
    waiter.start()
    s = factory()
    s.execute(text("UPDATE counter SET n = n + 10"))  # BEGIN IMMEDIATE: holds the write lock
    held.set()
    time.sleep(0.45)
    assert not wrote, "the second writer did not wait"
    if ending == "commit":
        s.commit()
    elif ending == "rollback":
        s.rollback()
    s.close()  # "close": the pool rolls back on return
    released = time.perf_counter()
    waiter.join(5)
    # SQLite's own busy handler sleeps 100 ms at a time by now (without the flock: 79–81 ms late).
    assert wrote and wrote[0] - released < 0.06
    with engine.connect() as c:
        assert c.execute(text("SELECT n FROM counter")).scalar() == (11 if ending == "commit" else 1)
    engine.dispose()


def test_a_writer_stuck_past_the_busy_timeout_gets_operational_error(url: str) -> None:
    engine = make_engine(url)
    held = threading.Event()
    with transaction(make_sessionmaker(engine)) as s:
        s.execute(text("UPDATE counter SET n = n + 1"))
        held.set()
        t0 = time.perf_counter()
        with pytest.raises(OperationalError, match="locked"):
            _wait_for_write(url, 300, held)
        assert time.perf_counter() - t0 < 3  # the 0.3 s busy timeout, not forever
    # The one that gave up is gone; the database is fine and writable.
    with engine.begin() as c:
        c.execute(text("UPDATE counter SET n = n + 1"))
        assert c.execute(text("SELECT n FROM counter")).scalar() == 2
    engine.dispose()


INCREMENT = """
import sys
from sqlalchemy import text
from models.db import make_engine, make_sessionmaker, transaction
factory = make_sessionmaker(make_engine(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    with transaction(factory) as s:          # read, then write what was read
        n = s.execute(text("SELECT n FROM counter")).scalar()
        s.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
"""


def test_read_then_write_is_atomic_across_processes(url: str) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", INCREMENT, url, "150"], cwd=ROOT) for _ in range(3)]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    engine = make_engine(url)
    with engine.connect() as c:
        assert c.execute(text("SELECT n FROM counter")).scalar() == 450
    engine.dispose()


def test_the_wal_is_checkpointed_outside_the_commit_and_stays_small(url: str, tmp_path: Path) -> None:
    # SQLite's own checkpoint runs inside the COMMIT that crosses its threshold, holding up
    # every writer for its fsync; ours runs after the lock is let go (models/db.py). Either
    # way the WAL must not grow without end: 1,000 commits of a page or more each would make
    # it 4 MB or more with no checkpoint at all.
    from models import db

    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE note (body TEXT NOT NULL)"))
    for i in range(1000):
        with engine.begin() as c:
            c.execute(text("INSERT INTO note VALUES (:b)"), {"b": f"{i:04d}" * 200})
    with engine.connect() as c:
        assert c.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0   # SQLite's is off
        assert c.execute(text("SELECT count(*) FROM note")).scalar() == 1000
    wal = Path(f"{tmp_path}/lock.db-wal")
    assert wal.stat().st_size < (db.CHECKPOINT_EVERY * 2 + 50) * 4120 < 1000 * 4096
    engine.dispose()
