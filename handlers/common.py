"""Small things every family needs: the bound household, staff, shared wording."""
from __future__ import annotations

from datetime import datetime

from bot.context import Context
from bot.reply import Reply
from models import authz
from models.community import Household
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


def local(ctx: Context, when: datetime) -> str:
    """A time as residents read it: 12月3日 19:30."""
    t = when.astimezone(ctx.settings.community.tz)
    return f"{t.month}月{t.day}日 {t:%H:%M}"
