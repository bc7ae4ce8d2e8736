"""Production shape: two web processes and two scheduler processes on one PostgreSQL.
One message delivered to both web processes at once has one effect; due work runs once."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from sqlalchemy import create_engine, func, select, text

from models.db import normalise_url, transaction
from models.delivery import Delivery
from models.wechat import InboundMessage
from tests.conftest import base_config
from tests.wechat_side import wx_sign, xml_of

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code in (200, 503):
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture
def cluster(db_url: str, tmp_path: Path) -> Any:
    if not db_url.startswith("postgresql"):
        pytest.skip("the multi-process test runs on PostgreSQL")
    ports = [free_port(), free_port()]
    cfg = base_config(db_url, server={"base_url": f"http://127.0.0.1:{ports[0]}"},
                      scheduler={"embedded": False, "tick_seconds": 1, "lease_seconds": 5},
                      wechat={"api_base_url": f"http://127.0.0.1:{ports[0]}/sandbox/api/"})
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMUNITY_")},
           "COMMUNITY_CONFIG": str(path)}
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    procs = [subprocess.Popen(flask + ["serve", "--port", str(p)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]
    for p in ports:
        wait_http(f"http://127.0.0.1:{p}/healthz")
    scheds = [subprocess.Popen(flask + ["scheduler"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    engine = create_engine(normalise_url(db_url))
    yield ports, engine, cfg
    for p in procs + scheds:
        p.terminate()
    for p in procs + scheds:
        p.wait(timeout=20)
    engine.dispose()


def test_two_workers_and_two_schedulers(cluster: Any) -> None:
    ports, engine, cfg = cluster
    token = cfg["wechat"]["token"]
    ts, nonce = str(int(time.time())), "abc"
    query = {"signature": wx_sign(token, ts, nonce), "timestamp": ts, "nonce": nonce}
    body = xml_of({"ToUserName": "gh", "FromUserName": "o-cluster", "CreateTime": int(ts),
                   "MsgType": "text", "Content": "你好", "MsgId": 4242424242}).encode()
    results: list[Any] = [None, None]

    def post(i: int) -> None:
        results[i] = requests.post(f"http://127.0.0.1:{ports[i]}/wechat", params=query, data=body, timeout=10)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [200, 200]
    contents = [re.sub(r"<CreateTime>\d+</CreateTime>", "", r.text) for r in results]
    assert contents[0] == contents[1] or "success" in contents
    from sqlalchemy.orm import sessionmaker
    factory = sessionmaker(engine)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(InboundMessage)) == 1

    # Work that falls due: a pending push. Both schedulers tick every second; one sends it.
    from notices import deliver
    with transaction(factory) as s:
        deliver.enqueue(s, "o-cluster", "明天停水", notice_key="bulletin:cluster", urgent=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with factory() as s:
            status = s.scalar(select(Delivery.status).where(Delivery.notice_key == "bulletin:cluster"))
        if status == "sent":
            break
        time.sleep(0.3)
    assert status == "sent"
    time.sleep(2.5)  # let both schedulers tick a few more times
    with engine.connect() as c:
        pushes = c.execute(text("SELECT count(*) FROM sandbox_message WHERE direction='push' "
                                "AND openid='o-cluster'")).scalar()
        holders = c.execute(text("SELECT count(DISTINCT holder) FROM scheduler_lease")).scalar()
        runs = c.execute(text("SELECT clock FROM job_run WHERE job='deliveries.send_due' ORDER BY clock")).all()
    assert pushes == 1
    assert holders == 1
    # Only the leader runs jobs: no two runs of the same job within one tick interval.
    clocks = [r[0] for r in runs]
    assert all((b - a).total_seconds() > 0.5 for a, b in zip(clocks, clocks[1:], strict=False))
