"""Fan-out benchmark: one bulletin to N residents through the stand-in WeChat API with
injected latency, sent one by one and then with bounded concurrency.

    .venv/bin/python bench/fanout.py [--recipients 2000] [--latency-ms 20] [--workers 16]
                                     [--db URL]

The stand-in runs in its own process (the app with the sandbox on, its own SQLite file,
served by werkzeug), so it does not share the sender's interpreter lock, as WeChat would
not. Sends use the template channel (reaches everyone; the 48 h window plays no part).
Prints recipients, wall time serial and concurrent, and the speed-up.
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

BASE = {
    "community": {"name": "黄巷社区"},
    "server": {"secret_key": "bench", "reply_budget_seconds": 4.0},
    "redis": {"url": ""},
    "wechat": {"app_id": "wxbench00000000001", "app_secret": "bench-secret", "token": "bench",
               "encoding_aes_key": ""},
    "scheduler": {"embedded": False},
    "nlu": {"warm_on_start": False},
}


def _config(**over: Any) -> dict[str, Any]:
    from settings import deep_merge
    return deep_merge(BASE, over)


def serve_standin(port: int, db: str) -> None:
    """Child process: the app's sandbox WeChat API on this port."""
    from werkzeug.serving import make_server

    from app import create_app
    app = create_app(_config(server={"base_url": f"http://127.0.0.1:{port}"},
                             database={"url": db}, sandbox={"enabled": True}))
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"the stand-in at {url} did not come up")


def _people(factory: Any, n: int) -> Any:
    from models.community import BUILDING, POINT, UNIT, Community, Household, Place, Scope
    from models.db import transaction
    from models.resident import Resident
    now = datetime.now(UTC)
    with transaction(factory) as s:
        c = Community(name="黄巷社区")
        s.add(c)
        s.flush()
        p = Place(community_id=c.id, kind=POINT, name="黄巷新村", label="黄巷新村")
        s.add(p)
        s.flush()
        b = Place(community_id=c.id, kind=BUILDING, name="1", parent_id=p.id, label="1号楼")
        s.add(b)
        s.flush()
        u = Place(community_id=c.id, kind=UNIT, name="1", parent_id=b.id, label="1号楼1单元")
        s.add(u)
        s.flush()
        s.execute(Household.__table__.insert(), [
            dict(community_id=c.id, point_id=p.id, building_id=b.id, unit_id=u.id, room=str(i),
                 label=f"1号楼1单元{i}室", area=Decimal("80"), tenure="owner", created_at=now)
            for i in range(n)])
        hids = [h for (h,) in s.execute(Household.__table__.select().with_only_columns(
            Household.id).order_by(Household.id))]
        s.execute(Resident.__table__.insert(), [
            dict(openid=f"o-bench-{i:05d}", followed=True, followed_at=now, household_id=h,
                 status="verified", verified_at=now, cs_allowance=0, created_at=now,
                 stairwell_head=False)
            for i, h in enumerate(hids)])
        return Scope("community", c.id, c.name)


def _run(linli: Any, scope: Any, title: str, workers: int) -> tuple[int, float]:
    from models.db import transaction
    from notices import bulletin_jobs
    now = datetime.now(UTC)
    with transaction(linli.factory) as s:
        b = bulletin_jobs.create(s, title=title, body="明天9点到12点停水", topic="停水停电",
                                 scope=scope, now=now, urgent=True)
        done = bulletin_jobs.publish_in(s, b.id, now, linli.settings.community.tz)
    assert done is not None
    inst, ids = done
    t0 = time.perf_counter()
    shown = [-1]

    def progress(n: int, total: int, counts: Any) -> None:
        step = n * 10 // total
        if step != shown[0]:
            shown[0] = step
            print(f"    {n}/{total} {time.perf_counter() - t0:5.1f}s {dict(counts)}",
                  file=sys.stderr, flush=True)

    counts = linli.sender.send_many(ids, now, progress, workers=workers)
    wall = time.perf_counter() - t0
    if counts["sent"] != len(ids):
        raise SystemExit(f"not all sent: {dict(counts)}")
    return len(ids), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipients", type=int, default=2000)
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--db", help="the sender's database URL (default: a fresh SQLite file)")
    ap.add_argument("--serve-standin", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_standin:
        serve_standin(int(args.serve_standin[0]), args.serve_standin[1])
        return

    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    port = _free_port()
    standin = subprocess.Popen([sys.executable, __file__, "--serve-standin", str(port),
                                f"sqlite:///{tmp}/standin.db"], cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url + "/healthz")
        requests.post(url + "/sandbox/api/_faults", json={"latency_ms": args.latency_ms}, timeout=5)
        from app import create_app
        app = create_app(_config(database={"url": args.db or f"sqlite:///{tmp}/sender.db"},
                                 sandbox={"enabled": False},
                                 wechat={"api_base_url": url + "/sandbox/api/",
                                         "templates": {"bulletin": "TPL-BENCH"}}))
        linli = app.extensions["linli"]
        scope = _people(linli.factory, args.recipients)
        linli.api.tokens.get()
        print(f"recipients {args.recipients}, stand-in latency {args.latency_ms} ms, "
              f"database {linli.engine.dialect.name}", flush=True)
        print("  serial (1 at a time):", file=sys.stderr, flush=True)
        n, serial = _run(linli, scope, "serial", 1)
        print(f"  serial:     {serial:6.2f} s  ({n / serial:6.0f} per second)", flush=True)
        print(f"  concurrent ({args.workers}):", file=sys.stderr, flush=True)
        n, concurrent = _run(linli, scope, "concurrent", args.workers)
        print(f"  concurrent: {concurrent:6.2f} s  ({n / concurrent:6.0f} per second, "
              f"{args.workers} workers)", flush=True)
        print(f"  speed-up:   {serial / concurrent:5.1f}x (target >= 8x)", flush=True)
        pushed = requests.get(url + "/sandbox/api/_faults", timeout=5).json()["counts"]
        print(f"  stand-in received {pushed.get('template', 0)} template messages", flush=True)
        linli.service.shutdown()
    finally:
        standin.terminate()
        standin.wait(timeout=10)


if __name__ == "__main__":
    main()
