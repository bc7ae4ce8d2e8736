"""The scheduler process: one leader at a time (a lease row), ticking run_due.

Jobs hold no state of their own: bulletins, votes and meetings keep their times in the
database, so a tick at any clock does what is due and a second tick does nothing new.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from models.base import utcnow
from models.db import transaction
from models.jobs import SchedulerLease
from notices.jobs import JobEnv, run_due

log = logging.getLogger(__name__)
LEASE = "scheduler"


class Leader:
    """A lease in the database: only its holder runs jobs; it lapses if the holder dies."""

    def __init__(self, env: JobEnv, holder: str | None = None):
        self.env = env
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.seconds = env.settings.scheduler.lease_seconds

    def acquire(self, now: datetime) -> bool:
        expires = now + timedelta(seconds=self.seconds)
        with transaction(self.env.factory) as s:
            got = s.execute(update(SchedulerLease).where(
                SchedulerLease.name == LEASE,
                (SchedulerLease.holder == self.holder) | (SchedulerLease.expires_at < now),
            ).values(holder=self.holder, expires_at=expires)).rowcount
            if got:
                return True
            if s.get(SchedulerLease, LEASE) is not None:
                return False
        try:
            with transaction(self.env.factory) as s:
                s.add(SchedulerLease(name=LEASE, holder=self.holder, expires_at=expires))
            return True
        except IntegrityError:
            return False

    def release(self) -> None:
        with transaction(self.env.factory) as s:
            s.execute(update(SchedulerLease).where(
                SchedulerLease.name == LEASE, SchedulerLease.holder == self.holder)
                .values(expires_at=utcnow() - timedelta(seconds=1)))


def tick(env: JobEnv, leader: Leader) -> None:
    now = utcnow()
    if not leader.acquire(now):
        log.debug("another scheduler holds the lease; idle")
        return
    results = run_due(env, now)
    log.info("tick %s: %s", now.isoformat(timespec="seconds"), results)


def build(env: JobEnv, *, blocking: bool) -> tuple[BaseScheduler, Leader]:
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(timezone=env.settings.community.timezone,
                    job_defaults={"coalesce": True, "max_instances": 1,
                                  "misfire_grace_time": 3600})
    leader = Leader(env)
    scheduler.add_job(tick, "interval", args=(env, leader), id="tick",
                      seconds=env.settings.scheduler.tick_seconds,
                      next_run_time=datetime.now().astimezone())
    return scheduler, leader
