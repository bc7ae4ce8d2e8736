"""`flask serve`: the embedded default — one process, threaded server, in-process scheduler."""
from __future__ import annotations

import click
from flask import Flask
from werkzeug.serving import make_server

from cli.common import linli
from notices import scheduler as sched


def register(app: Flask) -> None:
    @app.cli.command("serve")
    @click.option("--host", default=None, help="default: server.host")
    @click.option("--port", default=None, type=int, help="default: server.port")
    def serve(host: str | None, port: int | None) -> None:
        """Run the service in one process (SQLite, in-process scheduler, sandbox)."""
        s = linli().settings
        host, port = host or s.server.host, port or s.server.port
        from flask import current_app

        server = make_server(host, port, current_app._get_current_object(), threaded=True)
        base = f"http://{host}:{port}"
        click.echo(f"Linli for {s.community.name} is up (started in {linli().started_in:.2f}s)")
        click.echo(f"  webhook:       {base}/wechat")
        if s.sandbox.enabled:
            click.echo(f"  sandbox chat:  {base}/sandbox/")
            click.echo(f"  WeChat API:    {s.api_base_url}")
        click.echo(f"  health:        {base}/healthz")
        scheduler = None
        if s.scheduler.embedded:
            scheduler, _ = sched.build(linli().jobs, blocking=False)
            scheduler.start()
            click.echo(f"  scheduler:     in-process, every {s.scheduler.tick_seconds}s")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            linli().service.shutdown()
