"""The staff console and the public transparency pages (being built)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the console and public blueprints."""
