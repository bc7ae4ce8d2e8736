"""`flask chat --openid X [--account APPID]`: talk to the bot from a terminal through the
signed /wechat, or a community account's /wechat/<APPID>."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from sandbox import chat as sandbox_chat


def register(app: Flask) -> None:
    @app.cli.command("chat")
    @click.option("--openid", default="terminal-user", show_default=True)
    @click.option("--event", help="send one event instead (subscribe, unsubscribe, CLICK:KEY)")
    @click.option("--account", "app_id", metavar="APPID",
                  help="write through this community account (default: the deployment's own)")
    def chat(openid: str, event: str | None, app_id: str | None) -> None:
        """Chat as a resident: each line you type is a message; pushes are shown too."""
        the_app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            sandbox_chat.account_of(the_app, app_id)
        except sandbox_chat.UnknownAccount as exc:
            raise click.BadParameter(str(exc), param_hint="--account") from None
        last = _latest(the_app, openid)
        if event:
            name, _, key = event.partition(":")
            _show(the_app, openid, {"type": "event", "event": name, "key": key}, last, app_id)
            return
        interactive = sys.stdin.isatty()
        if interactive:
            click.echo("输入消息后回车；Ctrl-D 退出。")
        for line in sys.stdin:
            text = line.rstrip("\n")
            if not text.strip():
                continue
            if not interactive:
                click.echo(f"> {text}")
            last = _show(the_app, openid, {"type": "text", "text": text}, last, app_id)


def _latest(app: Flask, openid: str) -> int:
    rows = sandbox_chat.messages_since(app, openid, 0) if app.extensions["linli"].settings.sandbox.enabled else []
    return rows[-1]["id"] if rows else 0


def _show(app: Flask, openid: str, data: dict, last: int,  # type: ignore[type-arg]
          app_id: str | None = None) -> int:
    result = sandbox_chat.send(app, openid, data, app_id)
    if result["status"] != 200:
        click.echo(f"[webhook answered HTTP {result['status']}]")
    elif result["reply"]:
        click.echo(result["reply"])
    app.extensions["linli"].service.wait_idle()
    if app.extensions["linli"].settings.sandbox.enabled:
        for m in sandbox_chat.messages_since(app, openid, last):
            last = max(last, m["id"])
            if m["direction"] == "push":
                click.echo(f"[推送] {m['text']}")
    return last
