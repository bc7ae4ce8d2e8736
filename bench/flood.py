"""Flood: does one openid sending 1,000 messages slow everyone else down?

Starts the service (`flask serve`, SQLite or --database-url), measures the reply latency of
ordinary residents alone (baseline), then again while one openid floods 1,000 messages from
8 threads, and prints both with their ratio. The flood is cut off by the per-openid limit
before any database work, so the ratio should stay close to 1.

Usage: .venv/bin/python bench/flood.py [--messages 1000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhook import free_port  # noqa: E402
from tests.conftest import base_config  # noqa: E402
from tests.wechat_side import wx_sign, xml_of  # noqa: E402


class Client:
    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        self.session = requests.Session()
        self.ids = iter(range(10**12, 10**13))

    def say(self, openid: str, text: str) -> tuple[int, float]:
        ts = str(int(time.time()))
        body = xml_of({"ToUserName": "gh", "FromUserName": openid, "CreateTime": int(ts), "MsgType": "text",
                       "Content": text, "MsgId": next(self.ids)}).encode()
        t0 = time.perf_counter()
        res = self.session.post(self.base + "/wechat", data=body, timeout=10,
                                params={"signature": wx_sign(self.token, ts, "n"), "timestamp": ts, "nonce": "n"})
        return res.status_code, (time.perf_counter() - t0) * 1000


def others(base: str, token: str, rounds: int) -> list[float]:
    c = Client(base, token)
    return [c.say(f"calm-{i % 20}", "最近有什么通知")[1] for i in range(rounds)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="linli-flood-"))
    port = free_port()
    url = args.database_url or f"sqlite:///{tmp}/flood.db"
    if url.startswith("postgres"):
        from bench.webhook import fresh_pg
        url = fresh_pg(url)
    cfg = base_config(url, server={"base_url": f"http://127.0.0.1:{port}", "port": port},
                      scheduler={"embedded": False})
    (tmp / "c.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMUNITY_")},
           "COMMUNITY_CONFIG": str(tmp / "c.yaml")}
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "serve"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        token = cfg["wechat"]["token"]
        others(base, token, 40)                      # warm up
        alone = others(base, token, args.rounds)
        statuses: list[int] = []

        def flood(n: int) -> None:
            c = Client(base, token)
            statuses.extend(c.say("flooder", "你好")[0] for _ in range(n))

        threads = [threading.Thread(target=flood, args=(args.messages // 8,)) for _ in range(8)]
        for t in threads:
            t.start()
        during = others(base, token, args.rounds)
        for t in threads:
            t.join()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    med_a, med_d = statistics.median(alone), statistics.median(during)
    p95 = lambda xs: sorted(xs)[int(len(xs) * 0.95)]  # noqa: E731
    print(f"flood: {len(statuses)} messages from one openid, all answered: {set(statuses) == {200}}")
    print(f"other residents' reply latency  alone: median {med_a:.1f} ms, p95 {p95(alone):.1f} ms")
    print(f"                          during flood: median {med_d:.1f} ms, p95 {p95(during):.1f} ms")
    print(f"ratio during/alone (median): {med_d / med_a:.2f}")


if __name__ == "__main__":
    main()
