"""`flask db upgrade|current`: the schema by Alembic."""
from __future__ import annotations

import click
from flask import Flask

from cli.common import linli
from models import migrate


def register(app: Flask) -> None:
    @app.cli.group("db")
    def db() -> None:
        """Database schema (Alembic migrations)."""

    @db.command("upgrade")
    def upgrade() -> None:
        """Bring the database to the latest schema (start-up does this too)."""
        migrate.upgrade(linli().engine)
        click.echo(f"schema at {', '.join(sorted(migrate.current_revisions(linli().engine)))}")

    @db.command("current")
    def current() -> None:
        """Show the schema revision and whether it is the latest."""
        engine = linli().engine
        click.echo(f"current: {', '.join(sorted(migrate.current_revisions(engine))) or 'empty'}; "
                   f"latest: {', '.join(sorted(migrate.head_revisions()))}")
