"""flask commands: staff (being built)."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Adds this family's commands."""
