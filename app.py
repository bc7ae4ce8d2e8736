"""Linli: create_app() builds the service; `app` is the WSGI object (app:app).

`app` is built from config.yaml (and COMMUNITY_* variables) when first asked for, as a
WSGI server or the flask command does; importing modules does nothing else.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch import Dispatcher
from bot.service import MessageService
from models import migrate
from models.db import make_engine, make_sessionmaker
from notices.client import WeChatApi
from notices.deliver import Sender
from notices.jobs import JobEnv
from settings import ConfigError, Settings, load_settings

log = logging.getLogger("linli")


@dataclass
class Linli:
    """Everything one app instance owns; reachable as app.extensions["linli"]."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    api: WeChatApi
    sender: Sender
    dispatcher: Dispatcher
    service: MessageService
    jobs: JobEnv
    started_in: float = 0.0
    standin: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class _NoSessionOnWebhook(SecureCookieSessionInterface):
    """WeChat sends no cookie and /wechat keeps nothing in one: skip opening a signed cookie
    session for every message (its serializer is built per request)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/wechat"):
            return None  # Flask's null session
        return super().open_session(app, request)


def create_app(config: Mapping[str, Any] | str | Path | None = None) -> Flask:
    t0 = time.perf_counter()
    settings = load_settings(config)
    app = Flask(__name__)
    app.session_interface = _NoSessionOnWebhook()
    app.config.update(SECRET_KEY=settings.server.secret_key,
                      MAX_CONTENT_LENGTH=max(settings.server.max_body_bytes, 10 * 1024 * 1024),
                      JSON_AS_ASCII=False)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    engine = make_engine(settings.database.url, echo=settings.database.echo,
                         busy_timeout_ms=settings.database.busy_timeout_ms)
    migrate.upgrade(engine)  # an empty database comes up at the latest schema
    factory = make_sessionmaker(engine)

    from bot.nlu import get_nlu
    from handlers import register_all
    from notices import alljobs  # noqa: F401 - registers every scheduled job

    from models import complaint_rules
    from notices import deliver
    complaint_rules.configure(settings.complaints)
    deliver.configure(settings.delivery)

    nlu = get_nlu()
    if settings.nlu.warm_on_start:
        nlu.warm()  # jieba, quietened, with its dictionary (bot/nlu/tokenizer.py)
    dispatcher = Dispatcher(nlu)
    register_all(dispatcher)
    api = WeChatApi(settings, factory)
    sender = Sender(settings, factory, api)
    service = MessageService(settings, factory, dispatcher, sender)
    linli = Linli(settings, engine, factory, api, sender, dispatcher, service,
                  JobEnv(settings, factory, sender))
    app.extensions["linli"] = linli

    from bot.webhook import bp as webhook_bp
    app.register_blueprint(webhook_bp)
    import console
    console.init_app(app)
    if settings.sandbox.enabled:
        _enable_sandbox(app, linli)
        app.jinja_env.get_template("sandbox/chat.html")  # warm: compiled now, not on first view

    import ops
    ops.init_app(app)
    if settings.redis.url:
        _enable_redis(linli)

    from cli import register_commands
    register_commands(app)
    linli.started_in = time.perf_counter() - t0
    return app


def _enable_redis(linli: Linli) -> None:
    """Shared short-lived state in Redis: rate limits, message claims and stored replies,
    dialog state and the access token. Every store falls back to the database while
    Redis is unreachable; the database stays the source of truth for what lasts."""
    from datetime import timedelta

    import redis

    from bot.ratelimit import RedisLimiter
    from bot.shared_state import RedisDedup, RedisDialogs, RedisLink
    from notices.tokens import RedisTokenStore

    s = linli.settings
    client = redis.Redis.from_url(s.redis.url, socket_timeout=0.5, socket_connect_timeout=0.5)
    prefix = s.redis.prefix
    linli.extra["redis"] = client
    link = RedisLink(client, prefix)
    linli.service.limiter = RedisLimiter(client, prefix=prefix + "rl:")
    linli.service.dialogs = RedisDialogs(link, timedelta(minutes=s.dialog.timeout_minutes))
    linli.service.dedup = RedisDedup(link, s.server.reply_budget_seconds)
    for api in linli.sender.accounts.all():  # every Official Account's token, by AppId
        api.tokens = RedisTokenStore(client, prefix, api.tokens,  # type: ignore[assignment]
                                     lock_seconds=s.wechat.api_timeout_seconds + 5)


def _enable_sandbox(app: Flask, linli: Linli) -> None:
    from sandbox import api as standin_api
    from sandbox import chat

    linli.standin = standin_api.StandIn()
    app.register_blueprint(standin_api.bp)
    app.register_blueprint(chat.bp)
    linli.service.before.append(lambda inbound: chat.record_inbound(app, inbound))
    linli.service.observers.append(lambda inbound, outcome: chat.record_reply(app, inbound, outcome))


def _build_wsgi_app() -> Flask:
    import ops
    ops.configure_logging(json_logs=os.environ.get("LINLI_JSON_LOGS", "") == "1")
    try:
        return create_app()
    except ConfigError as exc:
        print(f"Linli cannot start: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


_app: Flask | None = None


def __getattr__(name: str) -> Flask:
    # `app = create_app()`, built on first access (gunicorn's app:app, the flask command)
    # so that tests can import create_app without building the default app.
    global _app
    if name != "app":
        raise AttributeError(name)
    if _app is None:
        _app = _build_wsgi_app()
    return _app
