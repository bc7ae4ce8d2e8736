"""Prometheus metrics: messages by intent and outcome, reply latency, and figures read
from the database at scrape time (deliveries, job runs), which are right across processes.

Under gunicorn set PROMETHEUS_MULTIPROC_DIR so per-process counters are aggregated.
"""
from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models.delivery import Delivery
from models.jobs import JobRun

REGISTRY = CollectorRegistry(auto_describe=True)


class _Labelled:
    """A labelled metric whose children are remembered: prometheus_client's labels() takes a
    lock and validates the values on every call (≈ 10 µs a message); the same child comes back
    for the same values, so it is looked up once per process."""

    def __init__(self, metric: Any):
        self.metric = metric
        self._children: dict[tuple[str, ...], Any] = {}

    def labels(self, *values: str) -> Any:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self.metric.labels(*values)
        return child


MESSAGES = _Labelled(Counter("linli_messages_total", "Webhook messages by intent and outcome",
                             ["intent", "outcome"], registry=REGISTRY))
LATENCY = Histogram("linli_reply_seconds", "Time from receiving a message to answering it",
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 5), registry=REGISTRY)


class DatabaseCollector:
    """Deliveries by channel and status, job runs and failures: counted in the database."""

    def __init__(self, factory: sessionmaker[Session]):
        self.factory = factory

    def collect(self) -> Any:
        deliveries = GaugeMetricFamily("linli_deliveries", "Deliveries by channel and status",
                                       labels=["channel", "status"])
        jobs = GaugeMetricFamily("linli_job_runs", "Job runs by job and result", labels=["job", "result"])
        with self.factory() as s:
            for channel, status, n in s.execute(select(Delivery.channel, Delivery.status, func.count())
                                                .group_by(Delivery.channel, Delivery.status)):
                deliveries.add_metric([channel or "none", status], n)
            for job, failed, n in s.execute(select(JobRun.job, JobRun.error.is_not(None), func.count())
                                            .group_by(JobRun.job, JobRun.error.is_not(None))):
                jobs.add_metric([job, "failed" if failed else "ok"], n)
        yield deliveries
        yield jobs


def exposition(factory: sessionmaker[Session]) -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    out = generate_latest(registry)
    db = CollectorRegistry()
    db.register(DatabaseCollector(factory))
    return out + generate_latest(db), CONTENT_TYPE_LATEST
