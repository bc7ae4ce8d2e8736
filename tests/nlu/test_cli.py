"""`python -m bot.nlu.cli` / `flask nlu`: one message per line in, one JSON line out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click

from bot.nlu.cli import nlu_command

ROOT = Path(__file__).resolve().parents[2]


def _run(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.nlu.cli", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def test_one_json_line_per_message_line() -> None:
    messages = ["投票 12 同意", "楼道灯坏了三天了没人修", "", "明天上午9点的恳谈会我报名", "讲个笑话"]
    done = _run("\n".join(messages) + "\n", "--now", "2026-11-27 10:00")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(messages)
    results = [json.loads(line) for line in lines]
    for result in results:
        assert {"intent", "slots", "confidence"} <= set(result)
    assert results[0]["intent"] == "vote.cast"
    assert results[0]["slots"] == {"vote_id": 12, "choice": "同意"}
    assert results[1]["intent"] == "complaint.new"
    assert results[1]["slots"]["category"] == "repair"
    assert results[2]["intent"] == "unknown"
    assert results[3]["intent"] == "meeting.signup"
    assert results[3]["slots"]["when"] == "2026-11-28T09:00:00+08:00"
    assert results[4]["intent"] == "unknown"
    assert "楼道灯" in lines[1], "Chinese is written as is, not escaped"


def test_bad_clock_is_a_usage_error() -> None:
    done = _run("你好\n", "--now", "tomorrow")
    assert done.returncode == 2
    assert "--now" in done.stderr


def test_the_command_object_is_named_nlu() -> None:
    assert isinstance(nlu_command, click.Command)
    assert nlu_command.name == "nlu"
