"""What a web process carries: Alembic only when the schema needs upgrading, no
pkg_resources, and the schema check reads the same heads Alembic would."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from alembic.script import ScriptDirectory

from models import migrate
from models.db import make_engine
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, sys
from app import create_app
app = create_app()
health = app.test_client().get("/healthz").get_json()
print(json.dumps({"schema_current": health["schema_current"],
                  "loaded": [m for m in ("alembic", "mako", "pkg_resources") if m in sys.modules]}))
"""


def _start(db_url: str, tmp_path: Path) -> dict[str, Any]:
    """Start the app in a fresh interpreter, as gunicorn's master does, and report."""
    path = tmp_path / "probe.yaml"
    path.write_text(yaml.safe_dump(base_config(db_url, sandbox={"enabled": False}), allow_unicode=True),
                    encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMUNITY_")},
           "COMMUNITY_CONFIG": str(path)}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_current_database_starts_without_alembic(db_url: str, tmp_path: Path) -> None:
    started = _start(db_url, tmp_path)
    assert started == {"schema_current": True, "loaded": []}


def test_an_empty_database_is_still_brought_to_the_latest_schema(tmp_path: Path) -> None:
    started = _start(f"sqlite:///{tmp_path}/empty.db", tmp_path)
    assert started["schema_current"] is True
    assert "alembic" in started["loaded"]  # it had work to do


def test_heads_read_from_the_version_files_are_alembics() -> None:
    alembic_heads = set(ScriptDirectory.from_config(migrate.alembic_config()).get_heads())
    assert migrate._scan_heads() == alembic_heads
    assert migrate.head_revisions() == alembic_heads


@pytest.fixture
def versions_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(migrate.MIGRATIONS, tmp_path / "migrations")
    monkeypatch.setattr(migrate, "MIGRATIONS", tmp_path / "migrations")
    return tmp_path / "migrations" / "versions"


def _revision(versions: Path, name: str, down: Any, extra: str = "") -> None:
    (versions / f"{name}.py").write_text(
        f'"""test"""\nfrom alembic import op\n\nrevision = "{name}"\ndown_revision = {down!r}\n'
        f"branch_labels = None\ndepends_on = None\n{extra}\n\ndef upgrade() -> None:\n    pass\n\n\n"
        "def downgrade() -> None:\n    pass\n", encoding="utf-8")


def test_a_new_revision_makes_the_database_behind(db_url: str, versions_copy: Path) -> None:
    engine = make_engine(db_url)
    try:
        assert migrate.is_current(engine)
        before = migrate.head_revisions()
        _revision(versions_copy, "9999_merge_test", tuple(sorted(before)))
        assert migrate.head_revisions() == {"9999_merge_test"}
        assert not migrate.is_current(engine)
        migrate.upgrade(engine)  # Alembic runs the new (empty) revision
        assert migrate.is_current(engine)
        assert migrate.current_revisions(engine) == {"9999_merge_test"}
    finally:
        engine.dispose()


def test_revisions_it_cannot_read_plainly_are_left_to_alembic(versions_copy: Path) -> None:
    before = migrate.head_revisions()
    _revision(versions_copy, "9998_labelled", sorted(before)[0], extra="branch_labels = ('x',)")
    assert migrate._fast_heads() is None
    alembic_heads = set(ScriptDirectory.from_config(migrate.alembic_config()).get_heads())
    assert migrate.head_revisions() == alembic_heads and "9998_labelled" in alembic_heads
