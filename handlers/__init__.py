"""Handler families; each module's register(dispatcher) adds its intents, states and events."""
from __future__ import annotations

from bot.dispatch import Dispatcher
from handlers import basic

FAMILIES = [basic]


def register_all(d: Dispatcher) -> None:
    for family in FAMILIES:
        family.register(d)
