"""The staff console (/console) and the public transparency pages (/public)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

ERRORS = {
    400: ("请求无效", "表单已过期或来源不明（安全校验未通过）。请返回上一页，刷新后再提交。"),
    403: ("没有权限", "您的岗位没有这项操作的权限。如需开通，请联系管理员。"),
    404: ("找不到页面", "这个页面不存在，或者内容已被删除。"),
    405: ("请求无效", "这个页面不能这样打开。"),
    413: ("文件太大", "上传的文件太大了，请拆分后再上传。"),
    500: ("出错了", "系统出了点问题，刚才的操作没有完成。请稍后再试；问题已记录。"),
}
# No script at all runs in these pages: even a mistake in escaping cannot run a resident's text.
CSP = ("default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


_set_up = False


def _error_page(exc: HTTPException) -> Any:
    code = exc.code or 500
    title, text = ERRORS.get(code, ("出错了", "请稍后再试。"))
    return render_template("console/error.html", code=code, title=title, text=text), code


def _headers(response: Any) -> Any:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _no_store(response: Any) -> Any:
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Registers the console and public blueprints."""
    from console import auth, csrf, public, views_home, views_people  # noqa: F401 - routes
    from console.web import bp, local, menu, public_bp

    settings = app.extensions["linli"].settings
    app.config.update(
        SESSION_COOKIE_NAME="linli_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.server.base_url.lower().startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    global _set_up
    if not _set_up:  # blueprints are shared by every app of the process: set up once
        _optional_views()
        bp.before_request(csrf.check)
        bp.after_request(_no_store)
        for blueprint in (bp, public_bp):
            blueprint.after_request(_headers)
            for code in ERRORS:
                blueprint.register_error_handler(code, _error_page)
        _set_up = True
    app.register_blueprint(bp)
    app.register_blueprint(public_bp)
    app.jinja_env.filters["local"] = local

    @app.context_processor
    def _console_globals() -> dict[str, Any]:
        return {"csrf_token": csrf.token, "current_staff": auth.current_staff, "menu": menu,
                "allowed": auth.allowed, "community_name": _community_name(settings.community.name),
                "has_view": lambda endpoint: endpoint in app.view_functions}


def _community_name(default: str) -> str:
    """The console's title: the logged-in staff member's community when there are several."""
    from flask import has_request_context, request

    from console import auth, tenancy
    from console.web import db
    if not has_request_context() or request.blueprint != "console":
        return default
    staff = auth.current_staff()
    if staff is None:
        return default
    with db() as s:
        return tenancy.community_label(s, staff) or default


def _optional_views() -> None:
    """Pages of the families (requests, votes, meetings, bulletins): each module registers
    its routes on import and is left out while its family's models are not there yet."""
    import importlib
    import logging

    for name in ("views_requests", "views_clusters", "views_votes", "views_meetings",
                 "views_bulletins"):
        try:
            importlib.import_module(f"console.{name}")
        except ImportError as exc:   # a family's module or name is not there (yet)
            logging.getLogger(__name__).warning("console pages %s left out: %s", name, exc)
