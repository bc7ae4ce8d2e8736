"""Growth benchmark: does the reply stay as fast with 100 k and 1 M stored messages,
deliveries and requests as with none? Indexes, not scans.

For each size it fills the tables, then measures (median of repeated runs):
- the full reply path in-process (service.process of a free-text message),
- a resident's inbox query (their latest deliveries and unread count),
- the household's request list and the staff queue, when the requests model is present,
and prints each figure with its ratio to the empty database (target: 1 M within 1.2x).

Usage: .venv/bin/python bench/growth.py [--sizes 0,100000,1000000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from bot.inbound import Inbound  # noqa: E402
from models.base import utcnow  # noqa: E402
from models.delivery import Delivery  # noqa: E402
from models.wechat import InboundMessage  # noqa: E402

CHUNK = 20_000
PROBE = "probe"  # the resident whose inbox is measured: 20 notices at every size, so only the table grows
BENCH_TEXT = "最近有什么通知"


def median_ms(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def fill(app: Any, upto: int, have: int) -> None:
    """Add rows until each big table holds `upto` rows (spread over 50,000 users)."""
    linli = app.extensions["linli"]
    now = utcnow()
    with linli.engine.begin() as conn:
        for start in range(have, upto, CHUNK):
            n = min(CHUNK, upto - start)
            conn.execute(insert(InboundMessage), [
                {"dedup_key": f"m:g{start + i}", "openid": f"g{(start + i) % 50_000}", "msg_type": "text",
                 "intent": "help", "reply": {"text": "x"}, "deferred": False,
                 "received_at": now - timedelta(seconds=start + i)} for i in range(n)])
            conn.execute(insert(Delivery), [
                {"notice_key": f"bulletin:g{start + i}", "openid": f"g{(start + i) % 50_000}", "kind": "notice",
                 "body": {"text": "通知"}, "status": "sent", "channel": "customer", "attempts": 1,
                 "urgent": False, "read": True, "created_at": now, "next_attempt_at": now, "sent_at": now}
                for i in range(n)])


def measure(app: Any, counter: list[int]) -> dict[str, float]:
    linli = app.extensions["linli"]
    service = linli.service

    def reply() -> None:
        counter[0] += 1
        service.process(Inbound(openid="g42", to="gh", create_time=1, msg_type="text",
                                msg_id=f"bench{counter[0]}", text=BENCH_TEXT))

    def inbox() -> None:
        with linli.factory() as s:
            list(s.scalars(select(Delivery).where(Delivery.openid == PROBE).order_by(Delivery.id.desc()).limit(10)))
            s.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.openid == PROBE, Delivery.read.is_(False)))

    figures = {"reply path": median_ms(reply, 200), "inbox query": median_ms(inbox, 200)}
    return figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="0,100000,1000000")
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    from app import create_app
    from tests.conftest import base_config

    url = args.database_url
    if url.startswith("postgres"):
        from bench.webhook import fresh_pg
        url = fresh_pg(url)
    url = url or f"sqlite:///{tempfile.mkdtemp(prefix='linli-growth-')}/growth.db"
    app = create_app(base_config(url, sandbox={"enabled": False},
                                 wechat={"api_base_url": "http://127.0.0.1:9/"},
                                 server={"rate_limit_per_minute": 10**9}))
    sizes = [int(x) for x in args.sizes.split(",")]
    now = utcnow()
    with app.extensions["linli"].engine.begin() as conn:
        conn.execute(insert(Delivery), [
            {"notice_key": f"bulletin:probe{i}", "openid": PROBE, "kind": "notice", "body": {"text": "通知"},
             "status": "deferred", "channel": "inbox", "attempts": 1, "urgent": False, "read": i % 2 == 0,
             "created_at": now, "next_attempt_at": now} for i in range(20)])
    counter = [0]
    have = 0
    rows: list[tuple[int, dict[str, float]]] = []
    for size in sizes:
        t0 = time.perf_counter()
        fill(app, size, have)
        have = max(have, size)
        print(f"filled {size:>9,} rows per table in {time.perf_counter() - t0:.1f} s", flush=True)
        measure(app, counter)  # warm caches at this size
        rows.append((size, measure(app, counter)))
    base = rows[0][1]
    print(f"\n{'rows':>10} " + " ".join(f"{k:>22}" for k in base))
    for size, fig in rows:
        print(f"{size:>10,} " + " ".join(f"{v:>12.2f} ms ({v / base[k]:.2f}x)" for k, v in fig.items()))
    print("target: the largest size within 1.20x of the empty database")
    app.extensions["linli"].service.shutdown()


if __name__ == "__main__":
    main()
