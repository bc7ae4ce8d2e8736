"""Which Official Account a message came through, and which community that account serves.

The deployment's own account (`wechat`, webhook /wechat) serves every community; a
community account (`accounts`, webhook /wechat/<app_id>) serves its own community only.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.context import Context
from models.community import Community
from settings import Settings

log = logging.getLogger(__name__)

# A community id no row has: a community account whose community has no roster yet
# matches no household (rather than every community's).
NOWHERE = 0


def community_of_account(session: Session, settings: Settings, app_id: str | None) -> int | None:
    """None for the deployment's account (every community); else the id of the community
    the account serves, NOWHERE while that community is not in the database."""
    account = settings.account(app_id)
    if account is None:
        return None
    found = session.scalar(select(Community.id).where(Community.name == account.community))
    if found is None:
        log.warning("account %s serves community %r, which has no roster yet", app_id,
                    account.community)
        return NOWHERE
    return found


def note(ctx: Context) -> None:
    """For each message, before dispatch: the resident remembers the account (their pushes
    go out through it), and handlers learn the community it serves
    (ctx.extra["account_community_id"]; ctx.extra["community_id"] when that community exists)."""
    app_id = ctx.inbound.app_id
    if ctx.resident.app_id != app_id:
        ctx.resident.app_id = app_id
    if app_id is None:
        return
    community_id = community_of_account(ctx.session, ctx.settings, app_id)
    ctx.extra["account_community_id"] = community_id
    if community_id not in (None, NOWHERE):
        ctx.extra["community_id"] = community_id


def binding_community(ctx: Context) -> int | None:
    """The community whose households a binding may match (None: any, the deployment's account)."""
    return ctx.extra.get("account_community_id")
