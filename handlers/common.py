"""Small things every family needs: the bound household, staff, shared wording."""
from __future__ import annotations

from datetime import datetime

from bot.context import Context
from bot.reply import Reply
from models import authz
from models.community import (Community, Household, Scope, community_count, community_of_key,
                              community_scope, only_community)
from models.people import Staff

NEED_BINDING = ("您还没有绑定住址，先绑定一下吧：\n回复“绑定 楼号单元室号 姓名 手机后四位”，"
                "例如：绑定 3号楼2单元301 张三 5678")
NEED_VERIFIED = "您的绑定还在审核中，审核通过后就可以办理了。"


def household_of(ctx: Context) -> Household | None:
    r = ctx.resident
    if r.household_id is None or r.status != "verified":
        return None
    return ctx.session.get(Household, r.household_id)


def require_household(ctx: Context) -> Household | Reply:
    """The resident's verified household, or the reply that tells them how to get there."""
    h = household_of(ctx)
    if h is not None:
        return h
    if ctx.resident.status == "pending":
        return Reply(NEED_VERIFIED)
    return Reply(NEED_BINDING)


def staff_of(ctx: Context) -> Staff | None:
    if "staff" not in ctx.extra:
        ctx.extra["staff"] = authz.staff_for(ctx.session, ctx.openid)
    return ctx.extra["staff"]


def staff_community(ctx: Context) -> int | None:
    """The community of the staff member writing (None: not staff, or no community yet)."""
    if "staff_community" not in ctx.extra:
        st = staff_of(ctx)
        ctx.extra["staff_community"] = authz.community_of(ctx.session, st) if st else None
    return ctx.extra["staff_community"]


def staff_community_scope(ctx: Context) -> Scope | None:
    """全社区 as a staff member means: the whole of their own community."""
    cid = staff_community(ctx)
    return community_scope(ctx.session, cid) if cid is not None else None


def staff_sees(ctx: Context, community_id: int | None) -> bool:
    """Is a row of this community the writing staff member's business? Other communities'
    tickets, votes and meetings are answered as if they did not exist."""
    return authz.sees(ctx.session, staff_of(ctx), community_id)


def staff_sees_key(ctx: Context, scope_key: str) -> bool:
    return staff_sees(ctx, community_of_key(ctx.session, scope_key))


def resident_community(ctx: Context) -> int | None:
    """The community a resident belongs to: their household's; before binding, the one the
    account serves (ctx.extra["community_id"], set where an account serves one community),
    or the only one there is."""
    h = household_of(ctx)
    if h is not None:
        return h.community_id
    if ctx.resident.household_id is not None:
        bound = ctx.session.get(Household, ctx.resident.household_id)
        if bound is not None:
            return bound.community_id
    if ctx.extra.get("community_id") is not None:
        return int(ctx.extra["community_id"])
    c = only_community(ctx.session)
    return c.id if c else None


def community_name(ctx: Context) -> str:
    """The name residents know: with several communities, the writer's own one's."""
    if community_count(ctx.session) > 1:
        cid = staff_community(ctx) if staff_of(ctx) is not None else resident_community(ctx)
        c = ctx.session.get(Community, cid) if cid is not None else None
        if c is not None:
            return c.name
    return ctx.settings.community.name


def local(ctx: Context, when: datetime) -> str:
    """A time as residents read it: 12月3日 19:30."""
    t = when.astimezone(ctx.settings.community.tz)
    return f"{t.month}月{t.day}日 {t:%H:%M}"
