"""Where the time of one webhook text message goes, measured in-process.

Builds the app with create_app on a fresh SQLite file (or a fresh PostgreSQL database),
drives the bench's message (bench/wechat.lua: a text from one of 500 users, unique MsgId)
straight through the WSGI callable, and prints
- the mean cost per request of the full app and of the bare echo (bench/echo_app.py)
  through the same harness, and their ratio (the in-process ceiling of bench/webhook.py);
- a breakdown: inclusive time of each stage per request (Flask around the view, signature,
  XML, limiter, thread hand-off, NLU, dispatch, each SQL statement, ORM flush, commit, metrics);
- the unit cost of each kind of work on that path (a transaction, an ORM query, a Core
  insert, the thread hand-off, the NLU, the bare echo);
- with --cprofile, own time grouped by package (Flask, Werkzeug, SQLAlchemy, NLU, …).

Usage: .venv/bin/python bench/breakdown.py [--requests 2000] [--database-url URL] [--cprofile]
"""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import os
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token"
TEXT = os.environ.get("BENCH_TEXT", "楼道灯坏了三天了")


def config(db_url: str, redis_url: str) -> dict[str, Any]:
    return {
        "server": {"secret_key": "bench", "base_url": "http://127.0.0.1:9",
                   "rate_limit_per_minute": 1_000_000},
        "database": {"url": db_url},
        "redis": {"url": redis_url},
        "wechat": {"token": TOKEN, "api_base_url": "http://127.0.0.1:9/"},
        "sandbox": {"enabled": False},
        "scheduler": {"embedded": False},
    }


class Requests:
    """WSGI environs for the bench's message, each with a new MsgId and one of 500 users."""

    def __init__(self) -> None:
        self.ts, self.nonce = str(int(time.time())), "benchnonce"
        self.sig = hashlib.sha1("".join(sorted([TOKEN, self.ts, self.nonce])).encode()).hexdigest()
        self.n = 0

    def environ(self) -> dict[str, Any]:
        self.n += 1
        body = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[bench-"
                f"{self.n % 500}-1]]></FromUserName><CreateTime>1764200000</CreateTime>"
                f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{TEXT}]]></Content>"
                f"<MsgId>{10**12 + self.n}{time.time_ns() % 100000}</MsgId></xml>").encode()
        return {"REQUEST_METHOD": "POST", "PATH_INFO": "/wechat", "SCRIPT_NAME": "",
                "QUERY_STRING": f"signature={self.sig}&timestamp={self.ts}&nonce={self.nonce}&openid=x",
                "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "text/xml",
                "CONTENT_LENGTH": str(len(body)), "HTTP_HOST": "127.0.0.1:8000",
                "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
                "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True,
                "wsgi.run_once": False}


def call(app: Any, environ: dict[str, Any]) -> bytes:
    status: list[str] = []
    body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    if not status or not status[0].startswith("200"):
        raise RuntimeError(f"{status} {body[:200]!r}")
    return body


def mean_us(app: Any, reqs: Requests, n: int) -> float:
    envs = [reqs.environ() for _ in range(n)]
    t0 = time.perf_counter()
    for env in envs:
        call(app, env)
    return (time.perf_counter() - t0) / n * 1e6


# Breakdown --------------------------------------------------------------------------------
class Stages:
    """Inclusive time per labelled call, summed over the measured requests."""

    def __init__(self) -> None:
        self.total: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)
        self.undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, attr: str, label: str) -> None:
        inner = getattr(owner, attr)
        total, count = self.total, self.count

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                total[label] += time.perf_counter() - t0
                count[label] += 1
        setattr(owner, attr, timed)
        self.undo.append(lambda: setattr(owner, attr, inner))

    def sql(self, engine: Any) -> None:
        from sqlalchemy import event
        starts: list[float] = []

        def before(conn: Any, cursor: Any, statement: str, *a: Any) -> None:
            starts.append(time.perf_counter())

        def after(conn: Any, cursor: Any, statement: str, *a: Any) -> None:
            words = statement.split()
            verb = words[0].upper()
            table = next((w for w in words[1:] if w.startswith(("resident", "dialog_state",
                                                                 "inbound_message", "delivery",
                                                                 "complaint", "household",
                                                                 "staff", "person"))), "")
            label = f"sql {verb} {table}".strip()
            self.total[label] += time.perf_counter() - starts.pop()
            self.count[label] += 1

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        self.undo.append(lambda: (event.remove(engine, "before_cursor_execute", before),
                                  event.remove(engine, "after_cursor_execute", after)))

    def restore(self) -> None:
        for fn in reversed(self.undo):
            fn()


def instrument(app: Any) -> Stages:
    from sqlalchemy.orm import Session

    import bot.webhook as webhook
    from bot import dialog, metrics
    from bot.service import MessageService
    linli = app.extensions["linli"]
    st = Stages()
    st.wrap(app, "wsgi_app", "flask wsgi_app (all but the outer __call__)")
    view = app.view_functions["wechat.receive"]

    def view_timed(*a: Any, **k: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return view(*a, **k)
        finally:
            st.total["view receive()"] += time.perf_counter() - t0
            st.count["view receive()"] += 1
    app.view_functions["wechat.receive"] = view_timed
    st.undo.append(lambda: app.view_functions.__setitem__("wechat.receive", view))
    st.wrap(webhook.crypto, "verify", "signature verify")
    st.wrap(webhook, "parse_xml", "XML parse (xmltodict)")
    st.wrap(webhook, "from_fields", "Inbound from fields")
    st.wrap(webhook, "_settings", "view: current_app settings")
    st.wrap(linli.service.limiter, "hit", "rate limiter hit")
    st.wrap(MessageService, "handle", "service.handle (incl. thread hand-off)")
    st.wrap(MessageService, "process", "service.process (in pool thread)")
    st.wrap(MessageService, "_resident", "  resident lookup/update")
    st.wrap(dialog, "load", "  dialog load")
    st.wrap(dialog, "save", "  dialog save")
    st.wrap(linli.dispatcher, "dispatch", "  dispatch (NLU + handler)")
    st.wrap(linli.dispatcher.nlu, "understand", "    NLU understand")
    st.wrap(Session, "flush", "  ORM flush (incl. its SQL)")
    st.wrap(Session, "commit", "  commit (incl. flush + COMMIT)")
    st.wrap(Session, "close", "  session close")
    st.wrap(metrics.MESSAGES, "labels", "metrics labels()")
    st.wrap(metrics.LATENCY, "observe", "metrics observe")
    st.sql(linli.engine)
    return st


def report_stages(st: Stages, n: int) -> None:
    print(f"{'stage (inclusive, per request)':52}{'µs':>8}{'calls/req':>10}")
    for label, total in sorted(st.total.items(), key=lambda kv: -kv[1]):
        print(f"{label:52}{total / n * 1e6:>8.1f}{st.count[label] / n:>10.2f}")


def _best_us(fn: Callable[[], Any], n: int = 300, rounds: int = 5) -> float:
    """Wall time of one call in µs, the best of `rounds` rounds of `n` (the least disturbed
    by the neighbours on a shared machine)."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e6


def unit_costs(app: Any, reqs: Requests) -> None:
    """What each kind of work on the message path costs on its own."""
    import itertools
    import threading

    from sqlalchemy import insert, select

    from bench.echo_app import app as echo
    from models.base import utcnow
    from models.db import transaction
    from models.resident import Resident
    from models.wechat import DialogState, InboundMessage
    linli = app.extensions["linli"]
    factory, openid, ids = linli.factory, "bench-1-1", itertools.count(10**15)
    now = utcnow()

    def empty() -> None:
        with transaction(factory) as s:
            s.connection()  # BEGIN (IMMEDIATE on SQLite) … COMMIT

    def resident() -> None:
        with transaction(factory) as s:
            s.scalars(select(Resident).where(Resident.openid == openid)).first()

    def dialog_get() -> None:
        with transaction(factory) as s:
            s.get(DialogState, openid)

    def row(s: Any) -> dict[str, Any]:
        return dict(dedup_key=f"m:u{next(ids)}", openid=openid, msg_type="text", intent="x",
                    reply={"text": "好"}, received_at=now, deferred=False)

    def insert_orm() -> None:
        with transaction(factory) as s:
            s.add(InboundMessage(**row(s)))
            s.flush()

    def insert_core() -> None:
        with transaction(factory) as s:
            s.execute(insert(InboundMessage).values(**row(s)))

    handoff, event = linli.service.handoff, threading.Event()
    nlu, text = linli.dispatcher.nlu, TEXT
    base = _best_us(empty)
    rows = [
        ("transaction: session, BEGIN, COMMIT, close", base),
        ("  + ORM select(Resident) by openid", _best_us(resident) - base),
        ("  + ORM session.get(DialogState) (not in the identity map)", _best_us(dialog_get) - base),
        ("  + ORM add(InboundMessage) + flush", _best_us(insert_orm) - base),
        ("  + Core insert(InboundMessage)", _best_us(insert_core) - base),
        ("thread hand-off: Handoff.run(f, timeout)", _best_us(lambda: handoff.run(event.is_set, timeout=4))),
        (f"NLU understand({text!r})", _best_us(lambda: nlu.understand(text, now))),
        ("bare echo app, one request through WSGI", _best_us(lambda: call(echo, reqs.environ()))),
        ("linli, one request through WSGI", _best_us(lambda: call(app, reqs.environ()), 100, 5)),
    ]
    print(f"{'unit cost (best of 5 rounds, wall)':62}{'µs':>8}")
    for label, us in rows:
        print(f"{label:62}{us:>8.0f}")


def by_package(app: Any, reqs: Requests, n: int) -> None:
    """cProfile own time grouped by package, with the reply run in the request thread (the
    pool thread is invisible to a profiler started in this one). Profiling inflates code
    with many small calls (SQLAlchemy) more than C code: read shares, not µs."""
    service = app.extensions["linli"].service
    run = service.handoff.run

    def inline(fn: Callable[..., Any], *args: Any, timeout: float) -> Any:
        return fn(*args)
    service.handoff.run = inline  # type: ignore[method-assign]
    envs = [reqs.environ() for _ in range(n)]
    prof = cProfile.Profile()
    prof.enable()
    for env in envs:
        call(app, env)
    prof.disable()
    service.handoff.run = run  # type: ignore[method-assign]
    groups: dict[str, float] = defaultdict(float)
    marks = (("/sqlalchemy/orm/", "SQLAlchemy ORM"), ("/sqlalchemy/", "SQLAlchemy Core/engine/pool"),
             ("/flask/", "Flask"), ("/werkzeug/", "Werkzeug"), ("/jieba/", "jieba"),
             ("/bot/nlu/", "bot.nlu"), ("xmltodict", "xmltodict"), ("/psycopg", "psycopg"),
             ("/prometheus_client/", "prometheus_client"), ("/handlers/", "handlers"),
             (str(ROOT / "bot"), "bot (webhook, service, dispatch, dialog)"), (str(ROOT / "models"), "models"))
    for (path, _line, name), (_cc, _nc, own, _cum, _callers) in pstats.Stats(prof).stats.items():  # type: ignore[attr-defined]
        label = next((g for mark, g in marks if mark in path), None)
        if label is None:
            label = ("sqlite3 (C)" if "sqlite3" in name else "regex (C)" if "re.Pattern" in name
                     else "other C / stdlib" if path == "~" else "other Python / stdlib")
        groups[label] += own
    total = sum(groups.values())
    print(f"cProfile own time by package, {total / n * 1e6:.0f} µs/request under the profiler:")
    for label, own in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {label:44}{own / total:7.1%}")


def build(db_url: str, redis_url: str) -> Any:
    import logging

    from app import create_app
    logging.getLogger("linli").setLevel(logging.WARNING)
    return create_app(config(db_url, redis_url))


def fresh_db(url: str) -> str:
    if url.startswith("postgres"):
        from bench.webhook import fresh_pg
        return fresh_pg(url)
    if url:
        return url
    return f"sqlite:///{tempfile.mkdtemp(prefix='linli-prof-')}/bench.db"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--redis-url", default="")
    ap.add_argument("--cprofile", action="store_true")
    args = ap.parse_args()
    from bench.echo_app import app as echo

    app = build(fresh_db(args.database_url), args.redis_url)
    reqs = Requests()
    mean_us(app, reqs, 600)    # warm: 500 residents exist, caches filled
    mean_us(echo, reqs, 300)
    n = args.requests
    echo_us = mean_us(echo, reqs, n)
    full_us = mean_us(app, reqs, n)
    db = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    print(f"{db}{' + Redis' if args.redis_url else ''}, {n} requests of {TEXT!r} through the WSGI callable")
    print(f"echo {echo_us:.0f} µs/request, linli {full_us:.0f} µs/request, "
          f"in-process ratio {echo_us / full_us:.2f}")
    st = instrument(app)
    t0 = time.perf_counter()
    for _ in range(n):
        call(app, reqs.environ())
    wall = time.perf_counter() - t0
    st.restore()
    print(f"instrumented: {wall / n * 1e6:.0f} µs/request (wrappers add a little)")
    report_stages(st, n)
    print()
    unit_costs(app, reqs)
    if args.cprofile:
        print()
        by_package(app, reqs, n)
    linli = app.extensions["linli"]
    linli.service.shutdown()
    linli.engine.dispose()


if __name__ == "__main__":
    main()
