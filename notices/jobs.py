"""Scheduled jobs: module-level functions of (database state, now), safe to run twice.

A job is registered with @job(name); `run_due(env, now)` runs each once at that clock
(`flask jobs run-due --now ...` and every scheduler tick call it).
"""
from __future__ import annotations

import itertools
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, event
from sqlalchemy.orm import Session, sessionmaker

from models.base import utcnow
from models.db import transaction
from models.jobs import JobRun
from models.wechat import DialogState, InboundMessage
from notices.deliver import Sender
from settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobEnv:
    settings: Settings
    factory: sessionmaker[Session]
    sender: Sender


JobFn = Callable[[JobEnv, datetime], int]  # returns how many things it did


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: JobFn
    order: int


JOBS: dict[str, JobSpec] = {}


def job(name: str, order: int = 50) -> Callable[[JobFn], JobFn]:
    """Register a job; lower `order` runs first within one tick (deliveries last)."""
    def register(fn: JobFn) -> JobFn:
        JOBS[name] = JobSpec(name, fn, order)
        return fn
    return register


def run_due(env: JobEnv, now: datetime, only: str | None = None) -> dict[str, int | str]:
    """Run every registered job once at `now`; one failing job does not stop the others."""
    global _running
    results: dict[str, int | str] = {}
    _arm_fault_point(env)
    for spec in sorted(JOBS.values(), key=lambda j: (j.order, j.name)):
        if only and spec.name != only:
            continue
        with transaction(env.factory) as s:
            run = JobRun(job=spec.name, clock=now, started_at=utcnow())
            s.add(run)
        try:
            _running = spec.name
            done = spec.fn(env, now)
            error = None
        except Exception as exc:  # noqa: BLE001 - recorded, logged, retried next tick
            log.exception("job %s failed at %s", spec.name, now.isoformat())
            done, error = 0, f"{type(exc).__name__}: {exc}"
        finally:
            _running = None
        with transaction(env.factory) as s:
            row = s.get(JobRun, run.id)
            if row is not None:
                row.finished_at, row.result, row.error = utcnow(), done, error
        results[spec.name] = error or done
    return results


# Test fault point ---------------------------------------------------------------------------
# LINLI_TEST_KILL="<job>:<event>:<n>" makes this process SIGKILL itself at the n-th <event>
# while <job> runs: a session event of the job's sessions ("after_flush": rows written, not
# committed; "before_commit"; "after_commit") or "send" (the WeChat API has answered a send
# whose result is not written yet). tests/faults/test_jobs_killed.py stops every job mid-way
# with it; unset (always, outside that test) nothing is armed and nothing here runs.
KILL_ENV = "LINLI_TEST_KILL"
_running: str | None = None     # the job run_due is in
_armed = False


def _arm_fault_point(env: JobEnv) -> None:
    global _armed
    spec = os.environ.get(KILL_ENV)
    if not spec or _armed:
        return
    _armed = True
    job_name, what, n = spec.rsplit(":", 2)
    hits = itertools.count(1)

    def hit(*_: object) -> None:
        if _running == job_name and next(hits) == int(n):
            os.kill(os.getpid(), signal.SIGKILL)

    if what != "send":
        event.listen(env.factory, what, hit)
        return
    import requests   # every WeChat API call goes through requests.Session.send

    send = requests.Session.send

    def send_then_hit(self: requests.Session, request: requests.PreparedRequest,
                      **kw: object) -> requests.Response:
        response = send(self, request, **kw)
        if "/message/" in (request.url or ""):
            hit()
        return response

    requests.Session.send = send_then_hit  # type: ignore[method-assign]


@job("deliveries.send_due", order=90)
def send_due_deliveries(env: JobEnv, now: datetime) -> int:
    """Retry deliveries that are pending (a push that failed transiently, or queued)."""
    return env.sender.send_due(now)


@job("housekeeping.expire", order=99)
def expire_old_state(env: JobEnv, now: datetime) -> int:
    """Forget expired dialogs and dedup keys older than WeChat could still retry."""
    with transaction(env.factory) as s:
        n = s.execute(delete(DialogState).where(DialogState.expires_at < now)).rowcount
        n += s.execute(delete(InboundMessage).where(
            InboundMessage.received_at < now - timedelta(days=30))).rowcount
    return n
