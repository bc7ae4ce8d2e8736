"""Handler family: complaints (being built)."""
from __future__ import annotations

from bot.dispatch import Dispatcher


def register(d: Dispatcher) -> None:
    """Adds this family's intents, states and events."""
