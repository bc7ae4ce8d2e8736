"""Webhook benchmark: the full text-message path under gunicorn against a bare
Flask+wechatpy echo under the same settings, in one run.

Prints throughput, p99 latency, errors and the ratio (target >= 0.7), the service's
start-up time and the latency of the first free-text message after start (target < 1 s).
A second baseline, the echo that also records each message and commits
(bench/echo_durable_app.py), shows how much of the gap durability alone accounts for; a
third, that echo also reading the text with Linli's NLU, is the floor of any webhook that
does what PRODUCT asks of every message (understand it, record it durably, then answer).
Needs wrk (Debian package `wrk`). Usage: .venv/bin/python bench/webhook.py [--seconds 10]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
TOKEN = "bench-token"
TS, NONCE = str(int(time.time())), "benchnonce"  # fresh: older timestamps are refused as replays
SIG = hashlib.sha1("".join(sorted([TOKEN, TS, NONCE])).encode()).hexdigest()
QUERY = f"/wechat?signature={SIG}&timestamp={TS}&nonce={NONCE}&openid=x"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, path: str, timeout: float = 60) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                pass
            if path:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2).read()
            return time.perf_counter() - t0
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"server on {port} did not come up")


def gunicorn(target: str, port: int, env: dict[str, str], workers: int,
             log: Path) -> subprocess.Popen[bytes]:
    # Both servers read gunicorn.conf.py from the project (gthread, LINLI_THREADS threads):
    # the production settings, the same for each.
    cmd = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
           "--preload", "--log-level", "warning",
           # gunicorn.conf.py recycles a worker every ~20,000 requests: not within a run
           # (the echo would reach it first, and a recycled worker's CPU drops out of the sum)
           "--max-requests", "0", target]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))


def post_one(port: int, text: str) -> float:
    body = (f"<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[first-user]]></FromUserName>"
            f"<CreateTime>1764200000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{time.time_ns()}</MsgId></xml>").encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{QUERY}", data=body, method="POST",
                                 headers={"Content-Type": "text/xml"})
    t0 = time.perf_counter()
    urllib.request.urlopen(req, timeout=10).read()
    return time.perf_counter() - t0


def run_wrk(port: int, seconds: int, connections: int) -> dict[str, float]:
    lua = os.environ.get("BENCH_LUA", str(ROOT / "bench" / "wechat.lua"))
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-H", "Connection: close", "-s", lua,
                          f"http://127.0.0.1:{port}{QUERY}"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p99_ms = float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors:.*?timeout (\d+)", out)
    for line in out.splitlines():
        if line.startswith("non-200"):
            print(line)
    return {"rps": rps, "p99_ms": p99_ms, "errors": float(non2xx.group(1)) if non2xx else 0.0,
            "timeouts": float(sock.group(1)) if sock else 0.0, "requests": total}


def workers_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def all_workers_up(pid: int, workers: int, timeout: float = 30) -> None:
    """gunicorn forks its workers one after another: a run that starts while only the
    first is up can leave the others idle for the whole run (each listens on the shared
    socket, but the first keeps winning the accepts), measuring one process, not
    `workers`. Both servers are measured only once every worker is there."""
    deadline = time.monotonic() + timeout
    while len(workers_of(pid)) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not start all its workers")
        time.sleep(0.05)
    time.sleep(0.5)


def cpu_by_process(pid: int) -> dict[int, float]:
    ticks = {}
    for p in [pid, *workers_of(pid)]:
        with open(f"/proc/{p}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks[p] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return ticks


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a gunicorn master and its live workers.

    On a shared machine the throughput swings with the neighbours' load; the CPU the server
    spends per request does not, so it is printed beside the throughput."""
    out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True).stdout
    ticks = 0
    for p in [pid, *map(int, out.split())]:
        with open(f"/proc/{p}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                    help="default: a fresh SQLite file")
    ap.add_argument("--redis-url", default="", help="Redis for shared rate limits")
    args = ap.parse_args()
    results = run(args)
    report(args, results)


def fresh_pg(url: str) -> str:
    """A new empty database beside the one named, so runs do not see each other's rows."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from models.db import normalise_url
    name = f"linli_bench_{os.getpid()}"
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(normalise_url(url)).set(database=name).render_as_string(hide_password=False)


def smaps(pid: int) -> dict[str, float]:
    """RSS, PSS (shared pages divided among their sharers) and USS (pages only this process
    has) of one process, in MB, from /proc/<pid>/smaps_rollup."""
    kb: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                kb[parts[0].rstrip(":")] = int(parts[1])
    return {"rss": kb.get("Rss", 0) / 1024, "pss": kb.get("Pss", 0) / 1024,
            "uss": (kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)) / 1024}


def worker_memory(pid: int) -> dict[str, float]:
    """The largest RSS / PSS / USS among a gunicorn master's workers, and the master's RSS."""
    out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True).stdout
    workers = [smaps(int(x)) for x in out.split()]
    figures = {f"{k}_mb": max((w[k] for w in workers), default=0.0) for k in ("rss", "pss", "uss")}
    figures["master_rss_mb"] = smaps(pid)["rss"]
    return figures


def run(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNITY_")}
    env = dict(base_env, COMMUNITY_DATABASE_URL=f"sqlite:///{tmp}/bench.db", COMMUNITY_WECHAT_TOKEN=TOKEN,
               COMMUNITY_SCHEDULER_EMBEDDED="false", COMMUNITY_SANDBOX_ENABLED="false",
               COMMUNITY_WECHAT_API_BASE_URL="http://127.0.0.1:9/")
    if args.database_url:
        env["COMMUNITY_DATABASE_URL"] = fresh_pg(args.database_url) if args.database_url.startswith(
            "postgres") else args.database_url
    if args.redis_url:
        env["COMMUNITY_REDIS_URL"] = args.redis_url
    # Migrated beforehand, as `flask db upgrade` does in production: the measured start is a
    # restart, the steady state (the very first start on an empty database also imports Alembic).
    from models import migrate
    from models.db import make_engine
    engine = make_engine(env["COMMUNITY_DATABASE_URL"])
    migrate.upgrade(engine)
    engine.dispose()
    env["COMMUNITY_SERVER_RATE_LIMIT_PER_MINUTE"] = "1000000"  # wrk is one very fast "user" set

    results = {}
    durable_env = dict(base_env, COMMUNITY_DATABASE_URL=env["COMMUNITY_DATABASE_URL"])
    servers = (("echo", "bench.echo_app:app", base_env),
               ("echo+commit", "bench.echo_durable_app:app", durable_env),
               ("echo+commit+nlu", "bench.echo_durable_app:app", dict(durable_env, BENCH_ECHO_NLU="1")),
               ("linli", "app:app", env))
    for name, target, environment in servers:
        port = free_port()
        t0 = time.perf_counter()
        log = tmp / f"{name}.log"
        proc = gunicorn(target, port, environment, args.workers, log)
        try:
            startup = t0 and wait_up(port, "/healthz" if name == "linli" else "")
            first = post_one(port, "我家楼道的灯坏了好几天了") if name == "linli" else float("nan")
            all_workers_up(proc.pid, args.workers)
            run_wrk(port, 2, args.connections)  # warm-up, the same for both
            warm = worker_memory(proc.pid)
            cpu0, split0 = cpu_seconds(proc.pid), cpu_by_process(proc.pid)
            figures = run_wrk(port, args.seconds, args.connections)
            figures["cpu_ms"] = (cpu_seconds(proc.pid) - cpu0) * 1000 / max(figures["requests"], 1)
            split1 = cpu_by_process(proc.pid)
            used = [split1[p] - split0.get(p, 0.0) for p in workers_of(proc.pid) if p in split1]
            figures["busiest_share"] = max(used) / max(sum(used), 1e-9) if used else 1.0
            figures.update({f"warm_{k}": v for k, v in warm.items()})
            figures.update(worker_memory(proc.pid), startup_s=startup, first_ms=first * 1000)
            results[name] = figures
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            errors = [line for line in log.read_text(errors="replace").splitlines()
                      if "Error" in line or "ERROR" in line]
            for line in errors[:5]:
                print(f"[{name} log] {line[:300]} ... {line[-700:]}")
    shutil.rmtree(tmp, ignore_errors=True)
    return results


def report(args: argparse.Namespace, results: dict[str, dict[str, float]]) -> None:
    echo, durable, full = results["echo"], results["echo+commit"], results["linli"]
    floor = results["echo+commit+nlu"]
    db = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    threads = os.environ.get("LINLI_THREADS", "4")
    store = db + (" + Redis" if args.redis_url else "")
    print(f"gunicorn -w {args.workers}, gthread x {threads} (gunicorn.conf.py), --preload, {store}, "
          f"wrk -t2 -c{args.connections} -d{args.seconds}s, Connection: close")
    print(f"{'':16}{'req/s':>10}{'p99 ms':>10}{'non-2xx':>9}{'timeouts':>9}{'server CPU ms/req':>19}"
          f"{'busiest worker':>16}")
    for name, r in results.items():
        print(f"{name:16}{r['rps']:>10.0f}{r['p99_ms']:>10.1f}{r['errors']:>9.0f}{r['timeouts']:>9.0f}"
              f"{r['cpu_ms']:>19.2f}{r['busiest_share']:>15.0%}")
    print(f"throughput ratio linli/echo: {full['rps'] / echo['rps']:.2f} (target >= 0.7); "
          f"server CPU per request echo/linli: {echo['cpu_ms'] / full['cpu_ms']:.2f}")
    print(f"against the echo that also records each message and commits (bench/echo_durable_app.py): "
          f"{full['rps'] / durable['rps']:.2f}; CPU {durable['cpu_ms'] / full['cpu_ms']:.2f}")
    print(f"the floor of a webhook that understands and records before answering "
          f"(echo+commit+nlu) reaches {floor['rps'] / echo['rps']:.2f} of the echo; "
          f"linli reaches {full['rps'] / floor['rps']:.2f} of that floor")
    print(f"linli start-up (spawn to /healthz): {full['startup_s']:.2f} s")
    print(f"first free-text message after start: {full['first_ms']:.1f} ms (target < 1000 ms)")
    print("memory per worker, largest of the workers (MB; target RSS <= 150):")
    print(f"{'':26}{'RSS':>6}{'PSS':>6}{'USS':>6}  master RSS")
    for name, r in (("linli after start-up", full), ("echo after start-up", echo)):
        print(f"{name:26}{r['warm_rss_mb']:>6.0f}{r['warm_pss_mb']:>6.0f}{r['warm_uss_mb']:>6.0f}"
              f"  {r['warm_master_rss_mb']:.0f}")
    for name, r in (("linli after the run", full), ("echo after the run", echo)):
        print(f"{name:26}{r['rss_mb']:>6.0f}{r['pss_mb']:>6.0f}{r['uss_mb']:>6.0f}  {r['master_rss_mb']:.0f}")


if __name__ == "__main__":
    main()
