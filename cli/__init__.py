"""The operator's `flask` commands; each module adds one group or command."""
from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from bot.nlu.cli import nlu_command
    from cli import bulletins, chat, complaints, db, jobs, meetings, roster, serve, staff, votes

    for module in (db, jobs, serve, chat, roster, staff, complaints, votes, meetings, bulletins):
        module.register(app)
    app.cli.add_command(nlu_command)
