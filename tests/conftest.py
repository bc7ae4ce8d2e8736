"""Fixtures: a fresh database per test on SQLite (always) and PostgreSQL (when
TEST_DATABASE_URL is set), apps built on it, a live HTTP server, and a WeChat-side
client that builds requests the way WeChat's servers do (with wechatpy)."""
from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from models import migrate
from models.db import make_engine, normalise_url
from tests.wechat_side import WeChatSide

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
# With TEST_REDIS_URL set, every app on PostgreSQL also uses Redis (the production shape),
# under a key prefix of its own test; apps on SQLite stay without Redis.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
QUIET_HOURS = {"quiet_start": "22:00", "quiet_end": "07:00"}   # as config.yaml ships them
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])

if os.environ.get("CI") == "true" and not PG_URL:
    raise pytest.UsageError("CI must set TEST_DATABASE_URL so the PostgreSQL run cannot skip")


def new_redis_prefix() -> str:
    return f"linli-test:{uuid.uuid4().hex[:12]}:"


def base_config(db_url: str, *, redis_key_prefix: str = "", **over: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "community": {"name": "黄巷社区"},
        "server": {"secret_key": "test-secret", "base_url": "http://127.0.0.1:9",
                   "reply_budget_seconds": 4.0},
        "database": {"url": db_url},
        "redis": {"url": ""},
        "wechat": {"app_id": "wxtest000000000001", "app_secret": "test-secret",
                   "token": "test-token", "encoding_aes_key": "", "api_base_url": ""},
        "sandbox": {"enabled": True},
        "scheduler": {"embedded": False},
        # Quiet hours off: a test must not pass by day and fail by night (Shanghai's 22:00 is
        # 14:00 UTC). The tests of quiet hours switch them on (QUIET_HOURS) with a clock set.
        "delivery": {"quiet_start": "00:00", "quiet_end": "00:00"},
    }
    if REDIS_URL and db_url.startswith("postgresql"):
        cfg["redis"] = {"url": REDIS_URL, "prefix": redis_key_prefix or new_redis_prefix()}
    from settings import deep_merge
    return deep_merge(cfg, over)


# Databases ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    if not PG_URL:
        yield ""
        return
    admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"linli_tpl_{os.getpid()}"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path,
           _pg_template: str) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "linli.db"
        shutil.copy(_sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    with pg_database("linli_t", template=_pg_template) as url:
        yield url


@contextmanager
def pg_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (empty, or a copy of `template`), dropped afterwards."""
    admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield make_url(normalise_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# Apps ----------------------------------------------------------------------------------
@pytest.fixture
def make_app(db_url: str) -> Iterator[Any]:
    """make_app(**overrides) -> a Flask app on this test's database."""
    from app import create_app

    apps = []
    prefix = new_redis_prefix()  # one per test: the apps of a test share Redis like workers

    def build(**over: Any) -> Any:
        app = create_app(base_config(db_url, redis_key_prefix=prefix, **over))
        app.testing = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        linli = app.extensions["linli"]
        linli.service.shutdown()
        linli.engine.dispose()
        _forget_redis_keys(linli)


def _forget_redis_keys(linli: Any) -> None:
    client = linli.extra.get("redis")
    if client is None or not linli.settings.redis.prefix.startswith("linli-test:"):
        return
    try:
        for key in client.scan_iter(match=linli.settings.redis.prefix + "*", count=500):
            client.delete(key)
    except Exception:  # noqa: BLE001 - a dead Redis (outage tests) has nothing to forget
        pass


@pytest.fixture
def app(make_app: Any) -> Any:
    return make_app()


class LiveServer:
    """The app served over real HTTP on a free port; the app is attached after binding
    so its own base_url (and so its sandbox WeChat API) can point at the real port."""

    def __init__(self) -> None:
        self.app: Any = None
        self.server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def live(make_app: Any) -> Iterator[Any]:
    """live(**overrides) -> LiveServer whose app uses its own sandbox WeChat API over HTTP."""
    servers: list[LiveServer] = []

    def start(**over: Any) -> LiveServer:
        srv = LiveServer()
        over.setdefault("server", {})
        over["server"] = {**over["server"], "base_url": srv.url}
        srv.app = make_app(**over)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


@pytest.fixture
def wechat(app: Any) -> WeChatSide:
    """WeChat's side of the webhook for the default (plaintext) app."""
    return WeChatSide(app)


@pytest.fixture
def aes_app(make_app: Any) -> Any:
    return make_app(wechat={"encoding_aes_key": AES_KEY})
