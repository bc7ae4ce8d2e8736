"""gunicorn settings for Linli: `gunicorn -c gunicorn.conf.py app:app`.

WeChat waits 5 s for an answer and the app answers within server.reply_budget_seconds
(4 s), so a request never needs more than a few seconds; the timeout only kills a
stuck worker. The scheduler is NOT started here: run `flask scheduler`.

preload_app builds the app once in the master (migration check, jieba's dictionary,
templates) and forks the workers from it, so those pages are shared: gc.freeze() just
before each fork keeps the collector in a worker from writing to (and so copying) every
object it inherited. A worker starts with an empty database pool (models/db.py) and
gets a fresh pool of reply threads (bot/service.py, at fork).
"""
import gc
import multiprocessing
import os

bind = os.environ.get("LINLI_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("LINLI_WORKERS", max(2, multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("LINLI_THREADS", 4))
timeout = 15            # a worker silent this long is restarted
graceful_timeout = 10
keepalive = 5
preload_app = True
max_requests = 20000    # recycle workers now and then
max_requests_jitter = 2000
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"
raw_env = ["LINLI_JSON_LOGS=1"]


def _prometheus_multiprocess_dir() -> None:
    """Prometheus multiprocess mode: per-worker counters are summed at /metrics.

    Done here, while gunicorn reads this file, not in on_starting: with preload_app the app
    (and prometheus_client, which picks its value store at import) is loaded before
    on_starting runs, and the workers then counted in memory that /metrics never read."""
    path = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/linli-prometheus")
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):  # counters of an earlier run
        os.remove(os.path.join(path, name))


_prometheus_multiprocess_dir()
# Imported here, after the directory is set, not in child_exit: that runs from the master's
# SIGCHLD handler, which can re-enter while the import is half done when workers exit
# together (AttributeError: partially initialized module).
from prometheus_client import multiprocess  # noqa: E402


def child_exit(server, worker):  # noqa: ANN001
    multiprocess.mark_process_dead(worker.pid)


def when_ready(server):  # noqa: ANN001
    # Before the first fork: the master opened database connections while building the app
    # (the schema check); close them, so that no worker inherits a socket of the master's.
    # (Each worker's engine also starts with an empty pool: models/db.py.)
    if server.cfg.preload_app:
        app = server.app.wsgi()
        linli = getattr(app, "extensions", {}).get("linli")
        if linli is not None:
            linli.engine.dispose()


def pre_fork(server, worker):  # noqa: ANN001
    # Everything the master built so far is long-lived: out of the collector's reach, its
    # pages stay shared with the workers instead of being copied by their first collection.
    gc.freeze()
