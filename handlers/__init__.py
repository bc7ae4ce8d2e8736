"""Handler families; each module's register(dispatcher) adds its intents, states and events."""
from __future__ import annotations

from bot.context import Context
from bot.dispatch import Dispatcher
from handlers import basic, binding, bulletins, complaints, contact, meetings, stats, votes
from handlers.common import staff_of
from models import authz

FAMILIES = [basic, binding, complaints, votes, meetings, bulletins, stats, contact]


def register_all(d: Dispatcher) -> None:
    d.authorize = authorize
    for family in FAMILIES:
        family.register(d)


def authorize(ctx: Context, action: str) -> bool:
    """Every staff intent passes here (models.authz holds the role table)."""
    return authz.can(staff_of(ctx), action)
