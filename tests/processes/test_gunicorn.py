"""The production server: gunicorn with gunicorn.conf.py (preload_app, two workers).
Each worker answers with its own database connections and its own reply threads,
/metrics counts the messages of every worker, and a worker stays under 150 MB."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.conftest import base_config
from tests.processes.test_many_processes import free_port, wait_http
from tests.wechat_side import wx_sign, xml_of

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 40


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Any:
    port = free_port()
    cfg = base_config(db_url, sandbox={"enabled": False}, scheduler={"embedded": False},
                      server={"base_url": f"http://127.0.0.1:{port}"},
                      wechat={"api_base_url": "http://127.0.0.1:9/"})
    path = tmp_path / "gunicorn.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("COMMUNITY_", "LINLI_"))},
           "COMMUNITY_CONFIG": str(path), "LINLI_BIND": f"127.0.0.1:{port}", "LINLI_WORKERS": "2",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")}  # gunicorn.conf.py empties it
    log = tmp_path / "access.log"
    proc = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
                             "--access-logfile", str(log), "--access-logformat", "%(p)s %(m)s %(s)s",
                             "app:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=(tmp_path / "error.log").open("wb"))
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=90)
        yield port, proc.pid, cfg["wechat"]["token"], log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _workers(master: int) -> list[int]:
    out = subprocess.run(["ps", "--ppid", str(master), "-o", "pid="], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _db_sockets(pid: int, port: int = 5432) -> set[str]:
    """Inodes of this process's TCP connections to the database server."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    mine = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            mine.add(target[8:-1])
    return mine


def _rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return int(re.search(r"^Rss:\s+(\d+) kB", text, re.M).group(1)) / 1024  # type: ignore[union-attr]


def test_preloaded_workers_answer_with_their_own_connections_and_threads(server: Any, db_url: str) -> None:
    port, master, token, log = server
    ts, nonce = str(int(time.time())), "n0nce"
    query = {"signature": wx_sign(token, ts, nonce), "timestamp": ts, "nonce": nonce}

    def say(i: int) -> requests.Response:
        body = xml_of({"ToUserName": "gh", "FromUserName": f"o-gunicorn-{i % 7}", "CreateTime": int(ts),
                       "MsgType": "text", "Content": "你好", "MsgId": 5_100_000_000 + i}).encode()
        return requests.post(f"http://127.0.0.1:{port}/wechat", params=query, data=body, timeout=15)

    def served() -> set[str]:
        return {line.split()[0].strip("<>") for line in log.read_text().splitlines() if " POST 200" in line}

    # The workers share one listening socket and the kernel, not gunicorn, picks who accepts:
    # on a busy machine one worker can take a whole batch. Send batches until both have
    # answered (what is tested is that each answers on its own, not how evenly they share).
    sent, deadline = 0, time.monotonic() + 60
    while True:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(say, range(sent, sent + MESSAGES)))
        sent += MESSAGES
        assert [r.status_code for r in answers] == [200] * MESSAGES
        assert all("<Content>" in r.text for r in answers)  # replied, within the budget
        workers = _workers(master)
        assert len(workers) == 2
        if served() == {str(p) for p in workers} or time.monotonic() > deadline:
            break
    assert served() == {str(p) for p in workers}, "both workers answered messages"

    metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    counted = sum(float(n) for n in re.findall(r"^linli_messages_total\{[^}]*\} (\S+)", metrics, re.M))
    assert counted == sent  # both workers' counters, summed

    if db_url.startswith("postgresql"):
        sockets = {pid: _db_sockets(pid) for pid in [master, *workers]}
        assert not sockets[master], "the master keeps no connection for the workers to inherit"
        assert all(sockets[w] for w in workers)
        assert not sockets[workers[0]] & sockets[workers[1]], "no connection is shared"

    for pid in workers:
        assert _rss_mb(pid) <= 150, f"worker {pid}: {_rss_mb(pid):.0f} MB RSS"
