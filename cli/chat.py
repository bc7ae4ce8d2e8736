"""`flask chat --openid X`: talk to the bot from a terminal through the signed /wechat."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from sandbox import chat as sandbox_chat


def register(app: Flask) -> None:
    @app.cli.command("chat")
    @click.option("--openid", default="terminal-user", show_default=True)
    @click.option("--event", help="send one event instead (subscribe, unsubscribe, CLICK:KEY)")
    def chat(openid: str, event: str | None) -> None:
        """Chat as a resident: each line you type is a message; pushes are shown too."""
        the_app = current_app._get_current_object()  # type: ignore[attr-defined]
        last = _latest(the_app, openid)
        if event:
            name, _, key = event.partition(":")
            _show(the_app, openid, {"type": "event", "event": name, "key": key}, last)
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
            last = _show(the_app, openid, {"type": "text", "text": text}, last)


def _latest(app: Flask, openid: str) -> int:
    rows = sandbox_chat.messages_since(app, openid, 0) if app.extensions["linli"].settings.sandbox.enabled else []
    return rows[-1]["id"] if rows else 0


def _show(app: Flask, openid: str, data: dict, last: int) -> int:  # type: ignore[type-arg]
    result = sandbox_chat.send(app, openid, data)
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
