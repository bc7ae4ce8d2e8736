"""Soak: minutes of mixed traffic on PostgreSQL with injected WeChat API faults and one
scheduler crash and restart; then every promise is counted.

Runs a web process (sandbox stand-in WeChat API on) and a scheduler process, imports a
roster, binds residents by chat, then sends mixed messages (with WeChat-style retries of
the same MsgId), publishes bulletins, injects 5xx / -1 / 45009 faults, kills the scheduler
with SIGKILL half-way and starts it again. At the end it drains the deliveries and prints:
messages handled, deliveries made, duplicates (must be 0), losses (must be 0), errors (must be 0).

Usage: .venv/bin/python bench/soak.py [--minutes 10] [--residents 120]
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhook import fresh_pg  # noqa: E402
from tests.conftest import base_config  # noqa: E402
from tests.wechat_side import wx_sign, xml_of  # noqa: E402

MESSAGES = ["你好", "通知", "表决", "我的诉求", "会议", "我的信息", "帮助", "最近有什么要投票的",
            "楼道灯坏了好几天了", "垃圾没人清理", "楼下有人半夜唱歌太吵了"]


SURNAMES = "张王李赵刘陈杨黄吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "建华", "文", "玉兰"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Soak:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="linli-soak-"))
        self.db_url = fresh_pg(args.database_url)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cfg = base_config(self.db_url, server={"base_url": self.base, "rate_limit_per_minute": 100000},
                          scheduler={"embedded": False, "tick_seconds": 2, "lease_seconds": 6},
                          wechat={"api_timeout_seconds": 2.0})
        self.token = cfg["wechat"]["token"]
        path = self.tmp / "soak.yaml"
        path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMUNITY_")},
                    "COMMUNITY_CONFIG": str(path)}
        self.flask = [sys.executable, "-m", "flask", "--app", "app"]
        self.status: Counter[str] = Counter()
        self.sent_ids: set[str] = set()
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def cli(self, *args: str) -> str:
        return subprocess.run(self.flask + list(args), cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=300).stdout

    def start(self) -> None:
        self.web = subprocess.Popen(self.flask + ["serve", "--port", str(self.port)], cwd=ROOT, env=self.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                requests.get(self.base + "/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        self.scheduler = self._scheduler()

    def _scheduler(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.flask + ["scheduler"], cwd=ROOT, env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def seed(self) -> list[tuple[str, str]]:
        roster = self.tmp / "roster.csv"
        people = []
        with roster.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["居民点", "楼栋", "单元", "室号", "姓名", "手机", "面积", "身份"])
            for i in range(self.args.residents):
                b, u, r = 1 + i // 40, 1 + (i // 10) % 4, 101 + i % 10
                name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)]
                w.writerow(["黄巷新村", b, u, r, name, f"1380000{i:04d}", 80, "业主"])
                people.append((f"soak-{i:03d}", f"绑定 {b}号楼{u}单元{r} {name} {i:04d}"))
        print(self.cli("roster", "import", str(roster)).strip().splitlines()[-1:], flush=True)
        for openid, bind in people:
            self.post(openid, bind, record=False)
        return people

    def post(self, openid: str, content: str, msg_id: str | None = None, record: bool = True) -> None:
        ts = str(int(time.time()))
        msg_id = msg_id or str(random.randrange(10**15, 10**16))
        body = xml_of({"ToUserName": "gh", "FromUserName": openid, "CreateTime": int(ts), "MsgType": "text",
                       "Content": content, "MsgId": msg_id}).encode()
        params = {"signature": wx_sign(self.token, ts, "n"), "timestamp": ts, "nonce": "n"}
        try:
            res = requests.post(self.base + "/wechat", params=params, data=body, timeout=10)
            outcome = str(res.status_code)
        except requests.RequestException as exc:
            outcome = type(exc).__name__
        if record:
            with self.lock:
                self.status[outcome] += 1
                if outcome == "200":
                    self.sent_ids.add(f"m:{msg_id}")

    def traffic(self, people: list[tuple[str, str]]) -> None:
        rnd = random.Random()
        while not self.stop.is_set():
            openid = rnd.choice(people)[0]
            msg_id = str(rnd.randrange(10**15, 10**16))
            self.post(openid, rnd.choice(MESSAGES), msg_id)
            if rnd.random() < 0.1:  # WeChat retries the same message
                self.post(openid, "你好", msg_id)
            time.sleep(rnd.uniform(0.05, 0.3))

    def faults(self) -> None:
        while not self.stop.wait(15):
            requests.post(self.base + "/sandbox/api/_faults", timeout=5, json={"queue": [
                {"http": 502, "only": "custom"}, {"errcode": -1, "only": "custom"},
                {"errcode": 45009, "only": "custom"}, {"http": 503, "only": "template"}]})

    def bulletins(self) -> None:
        n = 0
        while not self.stop.wait(45):
            n += 1
            self.cli("bulletin", "publish", "--topic", "社区动态", "--title", f"第{n}期社区动态",
                     "--body", f"soak bulletin {n}", "--urgent")

    def run(self) -> None:
        self.start()
        people = self.seed()
        threads = [threading.Thread(target=self.traffic, args=(people,), daemon=True) for _ in range(4)]
        threads += [threading.Thread(target=self.faults, daemon=True),
                    threading.Thread(target=self.bulletins, daemon=True)]
        for t in threads:
            t.start()
        seconds = self.args.minutes * 60
        time.sleep(seconds / 2)
        self.scheduler.send_signal(signal.SIGKILL)
        self.scheduler.wait()
        print("scheduler killed; restarting", flush=True)
        self.scheduler = self._scheduler()
        time.sleep(seconds / 2)
        self.stop.set()
        for t in threads:
            t.join(timeout=60)
        requests.delete(self.base + "/sandbox/api/_faults", timeout=5)
        self.scheduler.terminate()
        self.scheduler.wait()
        # Drain: run the jobs at a clock past every retry backoff (up to an hour).
        later = (datetime.now(UTC) + timedelta(hours=2)).astimezone(ZoneInfo("Asia/Shanghai"))
        for _ in range(3):
            self.cli("jobs", "run-due", "--now", later.strftime("%Y-%m-%d %H:%M"))
        self.report()
        self.web.terminate()
        self.web.wait()

    def report(self) -> None:
        engine = create_engine(self.db_url.replace("postgresql://", "postgresql+psycopg://", 1)
                               if self.db_url.startswith("postgresql://") else self.db_url)
        with engine.connect() as c:
            keys = {r[0] for r in c.execute(text("SELECT dedup_key FROM inbound_message"))}
            deliveries = dict(c.execute(text("SELECT status, count(*) FROM delivery GROUP BY status")).all())
            verified = c.execute(text("SELECT count(*) FROM resident WHERE status = 'verified'")).scalar()
            published = c.execute(text("SELECT count(*) FROM bulletin")).scalar()
            dup_pushes = c.execute(text(
                "SELECT count(*) FROM (SELECT openid, body::text FROM sandbox_message WHERE direction='push' "
                "GROUP BY openid, body::text HAVING count(*) > 1) d")).scalar()
        engine.dispose()
        handled = len(self.sent_ids & keys)
        lost_messages = len(self.sent_ids - keys)
        stuck = deliveries.get("pending", 0) + deliveries.get("sending", 0)
        errors = sum(n for k, n in self.status.items() if k != "200")
        print(f"messages sent {sum(self.status.values())}, answered 200: {self.status['200']}, "
              f"handled (unique) {handled}")
        print(f"verified residents: {verified}; bulletins published: {published}")
        print(f"deliveries by status: {deliveries}")
        print(f"duplicates: {dup_pushes}")
        print(f"losses: {lost_messages} messages without a record, {stuck} deliveries still pending")
        print(f"errors: {errors} ({dict(self.status)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--residents", type=int, default=120)
    ap.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/test"))
    Soak(ap.parse_args()).run()


if __name__ == "__main__":
    main()
