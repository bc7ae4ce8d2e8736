"""Backups: SQLite through its online backup API, PostgreSQL through pg_dump/pg_restore."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


def _pg_args(engine: Engine) -> tuple[list[str], dict[str, str]]:
    u = make_url(engine.url)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    env = {"PGPASSWORD": u.password} if u.password else {}
    return args + ["-d", u.database or ""], env


def backup(engine: Engine, out: Path) -> Path:
    """Write a consistent copy of the live database to `out` (services may keep running)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        src = sqlite3.connect(make_url(engine.url).database or "")
        dst = sqlite3.connect(out)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return out
    if not shutil.which("pg_dump"):
        raise BackupError("pg_dump is not installed (Debian: postgresql-client)")
    args, env = _pg_args(engine)
    proc = subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(out), *args],
                          capture_output=True, text=True, env={**env, "PATH": "/usr/bin:/bin"})
    if proc.returncode:
        raise BackupError(f"pg_dump failed: {proc.stderr.strip()}")
    return out


def restore(engine: Engine, src: Path) -> None:
    """Replace the database's contents with a backup (stop the web and scheduler first)."""
    if not src.exists():
        raise BackupError(f"no backup at {src}")
    if engine.dialect.name == "sqlite":
        engine.dispose()
        target = sqlite3.connect(make_url(engine.url).database or "")
        source = sqlite3.connect(src)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return
    args, env = _pg_args(engine)
    engine.dispose()
    proc = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                           *args, str(src)], capture_output=True, text=True, env={**env, "PATH": "/usr/bin:/bin"})
    if proc.returncode:
        raise BackupError(f"pg_restore failed: {proc.stderr.strip()}")
