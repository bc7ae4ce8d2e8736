"""`flask nlu` (and `python -m bot.nlu.cli`): one message per line in, one JSON line out."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime

import click

from .engine import get_nlu
from .timeparse import SHANGHAI


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    raise click.BadParameter(f"“{value}” is not YYYY-MM-DD HH:MM", param_hint="--now")


@click.command("nlu")
@click.option("--now", "now_text", default=None, metavar="'YYYY-MM-DD HH:MM'",
              help="Clock for dates and times, Asia/Shanghai (default: the real clock).")
def nlu_command(now_text: str | None) -> None:
    """Read one message per line on stdin; write one JSON object per line on stdout."""
    now = _parse_now(now_text)
    import jieba  # deferred like everything heavy; imported here only to quiet its log

    jieba.setLogLevel(logging.WARNING)  # keep stderr for real problems
    nlu = get_nlu()
    nlu.warm()
    for line in sys.stdin:
        message = line.rstrip("\r\n")
        result = nlu.understand(message, now).as_dict()
        click.echo(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    nlu_command()
