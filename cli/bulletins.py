"""`flask bulletin publish|list|cancel`: bulletins from the operator's terminal."""
from __future__ import annotations

import sys
import time
from collections import Counter

import click
from flask import Flask
from sqlalchemy import select, update

from cli.common import community_option, linli, parse_local, resolve_community, resolve_scope
from models.bulletins import CANCELLED, SCHEDULED, TOPICS, Bulletin
from models.community import scope_key_in
from models.db import transaction
from notices import bulletin_jobs



class _Progress:
    """Progress of a fan-out on stderr: a line every 5 % (and at the end)."""

    def __init__(self) -> None:
        self.last = -1
        self.t0 = time.perf_counter()

    def __call__(self, done: int, total: int, counts: Counter[str]) -> None:
        step = max(1, total // 20)
        if done != total and done // step == self.last:
            return
        self.last = done // step
        shown = " ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "skipped")
        click.echo(f"  sending {done}/{total} ({time.perf_counter() - self.t0:.1f}s) {shown}",
                   err=True)
        sys.stderr.flush()


def register(app: Flask) -> None:
    @app.cli.group("bulletin")
    def bulletin() -> None:
        """Bulletins (社区动态)."""

    @bulletin.command("publish")
    @click.option("--scope", "scope_text", default="全社区", show_default=True,
                  help="全社区, a place (3号楼 / 3号楼2单元) or a scope key (unit:7)")
    @click.option("--topic", required=True, type=click.Choice(TOPICS))
    @click.option("--title", required=True)
    @click.option("--body", required=True)
    @click.option("--at", "at_text", help='publish later: "YYYY-MM-DD HH:MM" (community time)')
    @click.option("--cron", help='recurring, e.g. "0 9 * * 1" (community time; at most hourly)')
    @click.option("--urgent", is_flag=True, help="ignore quiet hours (22:00–07:00)")
    @click.option("--mass", is_flag=True,
                  help="also as a mass message (rare, community-wide; 4 a month per person)")
    @click.option("--by", "created_by", default="cli", help="who publishes it")
    @click.option("--now", "now_text", help='the clock, "YYYY-MM-DD HH:MM" (tests, replays)')
    @community_option
    def publish_cmd(scope_text: str, topic: str, title: str, body: str, at_text: str | None,
                    cron: str | None, urgent: bool, mass: bool, created_by: str,
                    now_text: str | None, community_name: str | None) -> None:
        """Publish a bulletin now, later (--at) or on a schedule (--cron); prints its id."""
        parts = linli()
        now = parse_local(now_text)
        at = parse_local(at_text, "--at") if at_text else None
        with parts.factory() as ss:
            scope = resolve_scope(ss, scope_text, community=community_name)
        try:
            with transaction(parts.factory) as s:
                b = bulletin_jobs.create(s, title=title, body=body, topic=topic, scope=scope,
                                         now=now, publish_at=at, cron=cron, urgent=urgent,
                                         mass=mass, created_by=created_by,
                                         tz=parts.settings.community.tz)
        except bulletin_jobs.BulletinError as exc:
            field, _, why = str(exc).partition(": ")
            raise click.BadParameter(why, param_hint=f"--{field}") from None
        click.echo(b.id)
        if b.next_run_at is not None and b.next_run_at > now:
            when = b.next_run_at.astimezone(parts.settings.community.tz)
            click.echo(f"scheduled: {'first run' if cron else 'publishes'} at {when:%Y-%m-%d %H:%M}"
                       f" to {scope.label}")
            return
        click.echo(f"publishing to {scope.label} …", err=True)
        done = bulletin_jobs.publish(parts.jobs, b.id, now, progress=_Progress())
        if done is None:
            raise click.ClickException(f"bulletin {b.id} was published by another process")
        inst, counts = done
        shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing to send"
        click.echo(f"recipients {inst.recipients}: {shown}")

    @bulletin.command("list")
    @click.option("--limit", default=20, show_default=True)
    @community_option
    def list_cmd(limit: int, community_name: str | None) -> None:
        """Recent bulletins: id, state, topic, scope, title (of one community with --community)."""
        tz = linli().settings.community.tz
        with linli().factory() as s:
            q = select(Bulletin)
            c = resolve_community(s, community_name, required=False)
            if c is not None:
                q = q.where(scope_key_in(Bulletin.scope_key, c.id))
            rows = s.scalars(q.order_by(Bulletin.id.desc()).limit(limit))
            for b in rows:
                when = (b.published_at or b.next_run_at or b.publish_at).astimezone(tz)
                extra = f" cron={b.cron}" if b.cron else ""
                extra += f" run of {b.parent_id}" if b.parent_id else ""
                click.echo(f"{b.id}\t{b.state}\t{when:%Y-%m-%d %H:%M}\t{b.topic}\t{b.scope_label}"
                           f"\t{b.title}\t{b.recipients} recipients{extra}")

    @bulletin.command("cancel")
    @click.argument("bulletin_id", type=int)
    def cancel_cmd(bulletin_id: int) -> None:
        """Cancel a scheduled (or recurring) bulletin before it goes out."""
        with transaction(linli().factory) as s:
            n = s.execute(update(Bulletin).where(Bulletin.id == bulletin_id,
                                                 Bulletin.state == SCHEDULED)
                          .values(state=CANCELLED, next_run_at=None)).rowcount
        if not n:
            raise click.ClickException(f"bulletin {bulletin_id} is not scheduled (see `flask bulletin list`)")
        click.echo(f"bulletin {bulletin_id} cancelled")
