"""`flask jobs run-due|list` and `flask scheduler` (the scheduler process)."""
from __future__ import annotations

import signal

import click
from flask import Flask

from cli.common import linli, parse_local
from notices import scheduler as sched
from notices.jobs import JOBS, run_due


def register(app: Flask) -> None:
    @app.cli.group("jobs")
    def jobs() -> None:
        """Scheduled jobs."""

    @jobs.command("run-due")
    @click.option("--now", "now_text", help='the clock, "YYYY-MM-DD HH:MM" in the community time zone')
    @click.option("--only", help="run just this job")
    def run_due_cmd(now_text: str | None, only: str | None) -> None:
        """Run every job due at the given clock once (running it again does nothing new)."""
        now = parse_local(now_text)
        if only and only not in JOBS:
            raise click.BadParameter(f"no job named {only!r}; see `flask jobs list`", param_hint="--only")
        results = run_due(linli().jobs, now, only)
        failed = False
        for name, result in results.items():
            click.echo(f"{name}: {result}")
            failed |= isinstance(result, str)
        if failed:
            raise SystemExit(1)

    @jobs.command("list")
    def list_cmd() -> None:
        """List the registered jobs in the order a tick runs them."""
        for spec in sorted(JOBS.values(), key=lambda j: (j.order, j.name)):
            click.echo(f"{spec.name}  {(spec.fn.__doc__ or '').strip().splitlines()[0]}")

    @app.cli.command("scheduler")
    def scheduler_cmd() -> None:
        """Run the scheduler process (one per deployment; a second one stays idle)."""
        scheduler, leader = sched.build(linli().jobs, blocking=True)

        def stop(*_: object) -> None:
            scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        click.echo(f"scheduler {leader.holder}: ticking every "
                   f"{linli().settings.scheduler.tick_seconds}s")
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            leader.release()
