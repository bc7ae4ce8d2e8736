"""Alembic: an empty database comes up at the latest schema, and it matches the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import models
from models import migrate
from models.db import make_engine


def test_migrations_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    assert migrate.is_current(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}),
                                models.Base.metadata)
    engine.dispose()
    assert diff == []


def test_start_up_on_an_empty_database_migrates_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app import create_app
    from tests.conftest import base_config
    url = f"sqlite:///{tmp_path}/empty.db"
    app = create_app(base_config(url))
    assert migrate.is_current(app.extensions["linli"].engine)
    health = app.test_client().get("/healthz")
    assert health.status_code == 200
    assert health.json["status"] == "ok" and health.json["schema_current"] is True
    app.extensions["linli"].service.shutdown()
