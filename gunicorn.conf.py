"""gunicorn settings for Linli: `gunicorn -c gunicorn.conf.py app:app`.

WeChat waits 5 s for an answer and the app answers within server.reply_budget_seconds
(4 s), so a request never needs more than a few seconds; the timeout only kills a
stuck worker. --preload shares jieba's dictionary between workers (about 40 MB each
instead of about 116 MB). The scheduler is NOT started here: run `flask scheduler`.
"""
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


def on_starting(server):  # noqa: ANN001
    # Prometheus multiprocess mode: per-worker counters are summed at /metrics.
    path = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/linli-prometheus")
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        os.remove(os.path.join(path, name))


def child_exit(server, worker):  # noqa: ANN001
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
