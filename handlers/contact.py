"""联系社区: how a resident reaches a person — 转人工 / 居委会电话 / 找工作人员.

The contact text is configured (community.contact, or a community account's own); without
one, the resident is told to leave their message here, where it becomes a request that
staff see."""
from __future__ import annotations

from bot.context import Context
from bot.dispatch import Dispatcher
from bot.inbound import Inbound
from bot.reply import Reply
from handlers.common import community_name

TEXTS = {
    "contact": "{community}的联系方式：\n{contact}\n"
               "也可以直接在这里说您的事，比如“楼道灯坏了”，工作人员会看到并回复您。",
    "contact_none": "有事请直接在这里说，比如“我一个人住，想请社工上门看看”，"
                    "我会登记下来交给{community}的工作人员，处理进展会通知您。",
}


def contact_text(ctx: Context) -> str:
    """The writer's community's contact: its own account's when it has one, else the deployment's."""
    name = community_name(ctx)
    own = next((a.contact for a in ctx.settings.accounts if a.community == name and a.contact), "")
    return (own or ctx.settings.community.contact).strip()


def register(d: Dispatcher) -> None:
    d.texts.update(TEXTS)

    @d.intent("contact")
    def contact(ctx: Context, inbound: Inbound) -> Reply:
        text, name = contact_text(ctx), community_name(ctx)
        if not text:
            return Reply(TEXTS["contact_none"].format(community=name))
        return Reply(TEXTS["contact"].format(community=name, contact=text))

    d.menu_item(85, "联系社区工作人员", "contact")
