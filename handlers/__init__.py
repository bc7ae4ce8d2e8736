"""Handler families; each module's register(dispatcher) adds its intents, states and events."""
from __future__ import annotations

from bot.context import Context
from bot.dispatch import LABELS, Dispatcher
from bot.reply import Reply
from handlers import basic, binding, bulletins, complaints, contact, meetings, stats, votes
from handlers.common import staff_of
from models import authz

FAMILIES = [basic, binding, complaints, votes, meetings, bulletins, stats, contact]


def register_all(d: Dispatcher) -> None:
    d.authorize = authorize
    d.refuse = lambda ctx, intent: refuse(d, ctx, intent)
    for family in FAMILIES:
        family.register(d)


def authorize(ctx: Context, action: str) -> bool:
    """Every staff intent passes here (models.authz holds the role table)."""
    return authz.can(staff_of(ctx), action)


def refuse(d: Dispatcher, ctx: Context, intent: str) -> Reply:
    """A resident hears that this needs staff; a staff member whose role lacks it hears
    which roles have it, so they know whom to ask."""
    staff = staff_of(ctx)
    if staff is None:
        return Reply(d.texts["staff_only"])
    return Reply(d.texts["role_lacks"].format(role=staff.role, what=LABELS.get(intent, "这个操作"),
                                              roles="、".join(authz.roles_that_can(intent))))
