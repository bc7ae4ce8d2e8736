"""Bring a database to the latest schema with Alembic (called at start-up and by `flask db`).

Start-up first compares the database's alembic_version rows with the revision ids read
from migrations/versions (one SELECT, a few small files parsed): when they match, which
is every start but the first, Alembic is never imported. Alembic with Mako and Pygments
is ≈ 11 MB of every gunicorn worker (with --preload the master's imports are the workers').
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which migrations/env.py keeps
_PG_LOCK = 4242_0001  # advisory lock id: two processes starting at once migrate one at a time
_scanned: tuple[tuple[tuple[str, int], ...], frozenset[str] | None] | None = None


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _assignment(node: ast.stmt) -> tuple[str, ast.expr] | None:
    """`name = value` or `name: type = value` at module level."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        return node.target.id, node.value
    return None


def _scan_heads() -> frozenset[str] | None:
    """Head revision ids from the version files, or None when a file needs Alembic's own
    reading (branch labels, depends_on, values that are not plain literals)."""
    downs: set[str] = set()
    revisions: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        values: dict[str, Any] = {}
        try:
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                found = _assignment(node)
                if found and found[0] in ("revision", "down_revision", "branch_labels", "depends_on"):
                    values[found[0]] = ast.literal_eval(found[1])
        except (SyntaxError, ValueError):
            return None
        if "revision" not in values:
            continue  # not a revision file (Alembic skips these too)
        if values.get("branch_labels") or values.get("depends_on"):
            return None
        down = values.get("down_revision")
        revisions.add(str(values["revision"]))
        downs.update([down] if isinstance(down, str) else (down or ()))
    return frozenset(revisions - downs)


def _fast_heads() -> frozenset[str] | None:
    """_scan_heads, read again only when a version file is added, removed or changed."""
    global _scanned
    key = tuple((p.name, p.stat().st_mtime_ns) for p in sorted((MIGRATIONS / "versions").glob("*.py")))
    if _scanned is None or _scanned[0] != key:
        _scanned = (key, _scan_heads())
    return _scanned[1]


def head_revisions() -> set[str]:
    heads = _fast_heads()
    if heads is not None:
        return set(heads)
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (what Alembic's get_current_heads reads)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return set()
        return {row[0] for row in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}


def is_current(engine: Engine) -> bool:
    return current_revisions(engine) == head_revisions()


def upgrade(engine: Engine, target: str = "heads") -> None:
    if target == "heads" and is_current(engine):
        return  # nothing to do: Alembic stays unimported
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
