"""统计 by chat (staff): the figures of the staff member's own community, counts only."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.reply import Reply
from handlers.common import staff_community
from models.community import Community, community_scope, scope_key_in
from models.complaint_stats import complaint_stats, overdue_count
from models.complaints import STATE_LABELS
from models.people import count_pending
from models.votes import OPEN, Vote

TEXTS = {
    "no_community": "还没有导入社区名册，暂时没有统计。",
    "head": "【{community}统计】",
    "total": "诉求共 {total} 件：{states}",
    "overdue": "超时未办：{n} 件",
    "recent": "近 30 天新增：{n} 件",
    "times": "受理用时中位数 {accept}，办结用时中位数 {resolve}",
    "rating": "居民评价：{avg} 分（{n} 人评价，{share} 满意）",
    "no_rating": "居民评价：还没有",
    "bindings": "待审核的绑定：{n} 个",
    "votes": "进行中的表决：{n} 个",
    "foot": "更多图表请在电脑上打开工作台查看。",
}


def _hours(h: float | None) -> str:
    if h is None:
        return "—"
    return f"{h:g} 小时" if h < 48 else f"{h / 24:.1f} 天"


def register(d: Dispatcher) -> None:
    @d.intent("stats", staff=True)
    def stats(ctx: Context, inbound: Inbound) -> Reply:
        cid = staff_community(ctx)
        community = ctx.session.get(Community, cid) if cid is not None else None
        if community is None:
            return Reply(TEXTS["no_community"])
        s = ctx.session
        data = complaint_stats(s, community_id=community.id)
        recent = complaint_stats(s, community_id=community.id, since=ctx.now - timedelta(days=30))
        states = "，".join(f"{STATE_LABELS[k]} {n}" for k, n in data["by_state"].items() if n) or "无"
        r = data["ratings"]
        lines = [TEXTS["head"].format(community=community.name),
                 TEXTS["total"].format(total=data["total"], states=states),
                 TEXTS["overdue"].format(n=overdue_count(s, community.id, ctx.now)),
                 TEXTS["recent"].format(n=recent["total"]),
                 TEXTS["times"].format(accept=_hours(data["median_hours_to_accept"]),
                                       resolve=_hours(data["median_hours_to_resolve"])),
                 TEXTS["rating"].format(avg=r["average"], n=r["count"],
                                        share=f"{r['satisfied_share']:.0%}") if r["count"]
                 else TEXTS["no_rating"]]
        lines.append(TEXTS["bindings"].format(n=count_pending(s, community_scope(s, community.id))))
        votes = s.scalar(select(func.count()).select_from(Vote).where(
            Vote.state == OPEN, scope_key_in(Vote.scope_key, community.id))) or 0
        lines += [TEXTS["votes"].format(n=votes), TEXTS["foot"]]
        return Reply("\n".join(lines))
