"""Crash safety: `flask bulletin publish` killed (SIGKILL) in the middle of its fan-out,
against the live stand-in with injected latency, then `flask jobs run-due` run again.
Nobody gets the bulletin twice, and nobody loses it: each resident has exactly one
delivery, pushed once, or (for the few in flight at the kill, which WeChat may or may not
have received) kept in their inbox instead of being pushed a second time."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from models.base import utcnow
from models.db import transaction
from models.delivery import FAILED, SENT, Delivery, unread_count
from models.sandbox import SandboxMessage
from notices import deliver
from tests import factories as f
from tests.bulletins.helpers import TZ, faults, pushed_to
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parents[2]
RESIDENTS = 64


def _flask(env: dict[str, str], *args: str, **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_killed_mid_fan_out_then_run_again_every_resident_gets_it_once(
        live: Any, db_url: str, tmp_path: Path) -> None:
    srv = live()
    linli = srv.app.extensions["linli"]
    now = utcnow()
    with transaction(linli.factory) as s:
        for i in range(RESIDENTS):
            openid = f"o-crash-{i:03d}"
            f.resident(s, openid, f.household(s, room=str(1001 + i)), last_inbound_at=now,
                       cs_allowance=5)
            s.add(SandboxMessage(openid=openid, direction="in", body={"text": "你好"}))
    cfg = base_config(db_url, wechat={"api_base_url": srv.url + "/sandbox/api/"},
                      sandbox={"enabled": False}, nlu={"warm_on_start": False})
    path = tmp_path / "crash.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMUNITY_")},
           "COMMUNITY_CONFIG": str(path)}
    faults(srv, latency_ms=300)

    proc = _flask(env, "bulletin", "publish", "--scope", "全社区", "--topic", "停水停电",
                  "--title", "明日停水", "--body", "明天9点到12点停水", "--urgent")
    deadline = time.monotonic() + 60
    while sum(pushed_to(srv.app).values()) < RESIDENTS // 4:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the fan-out did not start"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(1.0)   # requests already at the stand-in finish there
    with linli.factory() as s:
        statuses = dict(s.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    assert statuses.get("sending", 0) >= 1, statuses          # killed in the middle of sends
    assert statuses.get("pending", 0) >= 1, statuses          # with work left to do
    assert sum(pushed_to(srv.app).values()) < RESIDENTS

    faults(srv, latency_ms=0)
    later = (datetime.now(UTC) + deliver.STALE_SENDING + timedelta(minutes=1)).astimezone(TZ)
    again = _flask(env, "jobs", "run-due", "--now", later.strftime("%Y-%m-%d %H:%M"))
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, out + err

    per_openid = pushed_to(srv.app)
    with linli.factory() as s:
        rows = {d.openid: d for d in s.scalars(select(Delivery))}
        inbox = {o: unread_count(s, o) for o in rows}
    assert len(rows) == RESIDENTS
    assert max(per_openid.values()) == 1                       # never twice
    uncertain = {o for o, d in rows.items() if d.status == FAILED and d.errmsg == deliver.UNCERTAIN}
    assert {d.status for o, d in rows.items() if o not in uncertain} == {SENT}
    assert 1 <= len(uncertain) <= 3 * deliver.CONCURRENCY         # claimed, not recorded
    for openid, d in rows.items():
        if d.status == SENT:
            assert per_openid.get(openid) == 1, openid          # pushed exactly once
        else:
            assert inbox[openid] == 1, openid                   # in flight at the kill: inbox
