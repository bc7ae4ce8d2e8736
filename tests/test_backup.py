"""Backup and restore round trip, on SQLite and PostgreSQL, through the CLI."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models.resident import Resident
from tests.wechat_side import WeChatSide


def residents(app: Any) -> list[str]:
    with app.extensions["linli"].factory() as s:
        return list(s.scalars(select(Resident.openid).order_by(Resident.openid)))


def test_backup_then_restore_brings_back_what_was_there(app: Any, tmp_path: Path) -> None:
    side = WeChatSide(app)
    side.say("o-before", "你好")
    runner = app.test_cli_runner()
    out = tmp_path / "linli.backup"
    res = runner.invoke(args=["db", "backup", str(out)])
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 0
    side.say("o-after", "你好")
    assert residents(app) == ["o-after", "o-before"]
    refused = runner.invoke(args=["db", "restore", str(out)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    res = runner.invoke(args=["db", "restore", str(out), "--yes"])
    assert res.exit_code == 0, res.output
    assert residents(app) == ["o-before"]
    with app.extensions["linli"].factory() as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == 1


def test_restore_of_a_missing_file_names_it(app: Any, tmp_path: Path) -> None:
    res = app.test_cli_runner().invoke(args=["db", "restore", str(tmp_path / "nope"), "--yes"])
    assert res.exit_code != 0 and "nope" in res.output and "Traceback" not in res.output
