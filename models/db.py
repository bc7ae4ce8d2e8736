"""Engines and sessions. Callers own the session and the transaction (SQLAlchemy 2 style)."""
from __future__ import annotations

import fcntl
import itertools
import logging
import os
import select
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)
T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Make relative SQLite paths relative to the project, create their folder;
    plain postgresql:// URLs use psycopg 3."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        db = u.database or ""
        if db and db != ":memory:" and not db.startswith("file:"):
            path = Path(db)
            if not path.is_absolute():
                path = ROOT / path
            path.parent.mkdir(parents=True, exist_ok=True)
            u = u.set(database=str(path))
    elif u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(url: str, *, echo: bool = False, busy_timeout_ms: int = 10000) -> Engine:
    url = normalise_url(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        engine = create_engine(url, echo=echo, connect_args={
            "timeout": busy_timeout_ms / 1000, "check_same_thread": False})
        db = u.database or ""
        on_disk = bool(db) and db != ":memory:" and not db.startswith("file:")
        _sqlite_pragmas(engine, busy_timeout_ms, Path(db + ".lock") if on_disk else None)
    else:
        engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
        _ping_when_idle(engine)
    # gunicorn --preload builds the app (and opens connections) before forking workers: a
    # child must never use the parent's sockets, so it starts with an empty pool.
    ref = weakref.ref(engine)

    def _fresh_pool_in_child() -> None:
        if (alive := ref()) is not None:
            alive.dispose(close=False)

    os.register_at_fork(after_in_child=_fresh_pool_in_child)
    return engine


PING_AFTER_IDLE_S = 2.0


def _ping_when_idle(engine: Engine, idle_s: float = PING_AFTER_IDLE_S) -> None:
    """Check a pooled connection at checkout without a round trip, and ping it only when it
    sat idle: SQLAlchemy's pre_ping pings every checkout, a round trip per message under
    load. A server that ends a connection (a restart, pg_terminate_backend) sends a last
    message and closes it, so an idle connection with anything to read is dead: a poll of
    its socket (no waiting) finds that. One lost without a word (a network cut) fails its
    first statement instead; SQLAlchemy (and models/fastpath.py) then invalidate it, and the
    webhook runs that message once more on a fresh one (bot/service.py)
    (tests/faults/test_database_outage.py)."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["used_at"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _used(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        if record is not None:
            record.info["used_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn, record, _proxy):  # type: ignore[no-untyped-def]
        try:
            if select.select([dbapi_conn.fileno()], [], [], 0)[0]:
                raise exc.DisconnectionError("the server ended this connection")
            if time.monotonic() - record.info.get("used_at", 0.0) >= idle_s:
                dialect.do_ping(dbapi_conn)
        except (dialect.loaded_dbapi.Error, OSError, ValueError) as err:
            raise exc.DisconnectionError() from err  # the pool replaces it and checks out again


class _Gate:
    """The writers of one process queue here first (a plain lock, cheap to wait on), so
    only one of its threads at a time contends for the file lock with other processes.
    A child process gets a new one: a lock held while forking would stay held in it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (g := ref()) is not None and g._renew())

    def _renew(self) -> None:
        self.lock = threading.Lock()


class _WriteLock:
    """An flock on <database>.lock taken before BEGIN IMMEDIATE and released after COMMIT or
    ROLLBACK, one open file per pooled connection, so it orders the writers of every thread
    and process (the threads of a process queue at its _Gate first). SQLite's own busy
    handler polls with sleeps of 1, 2, 5, 10 … 100 ms, so with two gunicorn workers one
    could starve the other: p99 above 1 s. A waiter here sleeps in the kernel and is woken
    the moment the lock is free (p99 ≈ 0.1 s, same throughput).

    SQLite's lock stays the one that guarantees correctness; this one only orders the
    waiters. So it may give up safely: past the busy timeout the caller gets SQLite's own
    "database is locked", and a connection that gave up once leaves the ordering to SQLite.
    """

    def __init__(self, path: Path, timeout_s: float, gate: _Gate):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self.timeout_s = timeout_s
        self.gate = gate
        self.gated: threading.Lock | None = None   # the gate's lock, while this one holds it
        self.held = False
        self.off = False

    def acquire(self) -> None:
        gate = self.gate.lock
        if not gate.acquire(timeout=self.timeout_s):
            raise sqlite3.OperationalError("database is locked")
        self.gated = gate
        try:
            self._acquire_file()
        except BaseException:
            self._open_gate()
            raise

    def _open_gate(self) -> None:
        gate, self.gated = self.gated, None
        if gate is not None:
            gate.release()

    def _acquire_file(self) -> None:
        if self.off:
            return
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.held = True
            return
        except BlockingIOError:
            pass
        # Contended: block in the kernel, from a helper thread so that the wait can end.
        got, mutex, gave_up = threading.Event(), threading.Lock(), []

        def wait() -> None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX)
                with mutex:
                    if gave_up:
                        fcntl.flock(self.fd, fcntl.LOCK_UN)
                    else:
                        got.set()
            except OSError:  # the file is gone: nothing to order any more
                pass

        threading.Thread(target=wait, name="linli-sqlite-lock", daemon=True).start()
        got.wait(self.timeout_s)
        with mutex:
            if got.is_set():
                self.held = True
                return
            gave_up.append(True)
        self.off = True  # its helper may still be waiting on this file: leave it to SQLite
        raise sqlite3.OperationalError("database is locked")

    def release(self) -> None:
        try:
            if self.held:
                self.held = False
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self._open_gate()

    def close(self) -> None:
        if not self.off:  # else a helper may still wait on this fd: a reused number would be wrong
            os.close(self.fd)


def _sqlite_pragmas(engine: Engine, busy_timeout_ms: int, lock_path: Path | None) -> None:
    # pysqlite starts a transaction only at the first write, so read-then-write is not
    # atomic; take the write lock at BEGIN instead (BEGIN IMMEDIATE), with WAL so readers
    # outside a transaction are never blocked.
    gate = _Gate()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        if lock_path is not None:
            # Checkpoints run after the write lock is let go (_release_after), not inside
            # the COMMIT that crosses SQLite's threshold, where their fsync held up every writer.
            cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.close()
        if lock_path is not None:
            record.info["write_lock"] = _WriteLock(lock_path, busy_timeout_ms / 1000, gate)

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        if (lock := record.info.pop("write_lock", None)) is not None:
            lock.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        # Straight to the driver: exec_driver_sql runs SQLAlchemy's whole statement path
        # (≈ 20 µs more a transaction) for a statement that returns nothing.
        fairy = conn.connection
        lock = fairy.info.get("write_lock")
        try:
            if lock is not None:
                lock.acquire()
            fairy.driver_connection.execute("BEGIN IMMEDIATE")
        except BaseException as err:
            if lock is not None:
                lock.release()
            if isinstance(err, sqlite3.Error):  # as SQLAlchemy raises it: the webhook's 503
                raise exc.DBAPIError.instance("BEGIN IMMEDIATE", None, err, sqlite3.Error) from err
            raise

    if lock_path is not None:
        _release_after(engine)


CHECKPOINT_EVERY = 200  # commits of one process between two WAL checkpoints


def _release_after(engine: Engine) -> None:
    """Release the write lock once the driver's COMMIT or ROLLBACK is done (SQLAlchemy's
    commit and rollback events fire before it). The dialect is this engine's own instance.

    Every CHECKPOINT_EVERY commits the committing connection then copies the WAL back into
    the database (a PASSIVE checkpoint: it waits for no reader or writer), outside the lock,
    so the other writers go on meanwhile; the WAL stays a few MB."""
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback
    commits = itertools.count(1)

    def _release(fairy: Any) -> None:
        try:
            lock = fairy.info.get("write_lock")
        except (AttributeError, NotImplementedError):  # the first-connect probe has no info
            return
        if lock is not None:
            lock.release()

    def do_commit(fairy: Any) -> None:
        try:
            commit(fairy)
        finally:
            _release(fairy)
        if next(commits) % CHECKPOINT_EVERY == 0:
            try:
                fairy.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as err:  # the next one will do it
                log.info("WAL checkpoint skipped: %s", err)

    def do_rollback(fairy: Any) -> None:
        try:
            rollback(fairy)
        finally:
            _release(fairy)

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def again_if_connection_lost(work: Callable[[], T]) -> T:
    """Run `work` (whole transactions), and once more if the database had dropped the
    connection it got (pooled connections are not pinged while in steady use)."""
    try:
        return work()
    except exc.DBAPIError as err:
        if not err.connection_invalidated:
            raise
        log.warning("database connection lost; once more on a new one")
        return work()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
