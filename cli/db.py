"""`flask db upgrade|current`: the schema by Alembic."""
from __future__ import annotations

import click
from flask import Flask

from pathlib import Path

from cli.common import linli
from models import backup as backups
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

    @db.command("backup")
    @click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
    def backup(out: Path) -> None:
        """Write a consistent backup of the database to OUT (safe while running)."""
        try:
            backups.backup(linli().engine, out)
        except backups.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"backup written to {out} ({out.stat().st_size} bytes)")

    @db.command("restore")
    @click.argument("src", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="confirm that the current contents are replaced")
    def restore(src: Path, yes: bool) -> None:
        """Replace the database with a backup. Stop the web and scheduler processes first."""
        if not yes:
            raise click.ClickException("restore replaces every row of the database: add --yes to go on")
        try:
            backups.restore(linli().engine, src)
        except backups.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"restored from {src}")
