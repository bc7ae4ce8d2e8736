"""Alembic environment: runs on the connection handed over by models.migrate, or on
the database of the loaded settings when called as `alembic` from the shell."""
from __future__ import annotations

from alembic import context

import models
from models.db import make_engine

target_metadata = models.Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from settings import load_settings

    engine = make_engine(load_settings().database.url)
    with engine.begin() as conn:
        _run(conn)
