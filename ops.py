"""Operations endpoints and logging: /healthz, /metrics, a request id on every log line."""
from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from bot import metrics
from models import migrate
from models.base import utcnow
from models.jobs import JobRun, SchedulerLease
from models.wechat import AccessToken

bp = Blueprint("ops", __name__)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.request_id = g.get("request_id", "-")
        except RuntimeError:  # outside a request
            record.request_id = "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                "logger": record.name, "msg": record.getMessage(),
                "request_id": getattr(record, "request_id", "-")}
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _assign_request_id() -> None:
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:16]

    @app.after_request
    def _echo_request_id(resp: Response) -> Response:
        resp.headers["X-Request-Id"] = g.get("request_id", "")
        return resp


def configure_logging(json_logs: bool) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("jieba").setLevel(logging.WARNING)


def _token_check(token: AccessToken | None, now: datetime) -> dict[str, Any]:
    return {
        "age_seconds": round((now - token.fetched_at).total_seconds()) if token and token.fetched_at else None,
        "valid": bool(token and token.expires_at and token.expires_at > now + timedelta(seconds=60)),
    }


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    linli = current_app.extensions["linli"]
    checks: dict[str, Any] = {}
    ok = True
    now = utcnow()
    try:
        checks["schema_current"] = migrate.is_current(linli.engine)
        with linli.factory() as s:
            s.execute(text("SELECT 1"))
            checks["database"] = "ok"
            lease = s.get(SchedulerLease, "scheduler")
            last_run = s.scalar(select(func.max(JobRun.started_at)))
            checks["scheduler"] = {
                "leader": lease.holder if lease and lease.expires_at > now else None,
                "last_job_run_seconds_ago": round((now - last_run).total_seconds()) if last_run else None,
            }
            token = s.get(AccessToken, linli.settings.wechat.app_id)
            checks["wechat_token"] = _token_check(token, now)
            if linli.settings.accounts:   # each community account's own token, by AppId
                checks["wechat_tokens"] = {a.app_id: _token_check(s.get(AccessToken, a.app_id), now)
                                           for a in linli.settings.accounts}
    except SQLAlchemyError as exc:
        ok = False
        checks["database"] = f"error: {type(exc).__name__}"
    redis_client = linli.extra.get("redis")
    if redis_client is not None:
        try:
            t0 = time.perf_counter()
            redis_client.ping()
            checks["redis"] = f"ok ({(time.perf_counter() - t0) * 1000:.1f} ms)"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            ok = False
            checks["redis"] = f"error: {type(exc).__name__}"
    body = {"status": "ok" if ok else "degraded", **checks}
    return jsonify(body), 200 if ok else 503


@bp.get("/metrics")
def metrics_view() -> Response:
    data, content_type = metrics.exposition(current_app.extensions["linli"].factory)
    return Response(data, content_type=content_type)
