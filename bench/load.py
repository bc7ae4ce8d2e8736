"""Load benchmark in the production shape: 4 gunicorn workers on PostgreSQL with Redis,
the full message path against the bare echo under the same settings, in one run.

Usage: .venv/bin/python bench/load.py [--seconds 15]  (PostgreSQL at TEST_DATABASE_URL or
postgresql://postgres@127.0.0.1:5432/test, Redis at redis://127.0.0.1:6379/14)
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import webhook  # noqa: E402

if __name__ == "__main__":
    pg = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    sys.argv += ["--workers", "4", "--connections", "16", "--database-url", pg,
                 "--redis-url", os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")]
    webhook.main()
