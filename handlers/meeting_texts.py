"""Everything residents and staff read about meetings, in one place for review."""
from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

TEXTS = {
    # Listing
    "list_head": "近期可以报名的会议：",
    "list_item": "【编号{id}】{title}（{type}）\n   {when}，{place}\n   {left}{mine}",
    "left_unlimited": "不限人数",
    "left_n": "剩余 {n} 个名额",
    "left_full": "名额已满，可报名候补（当前候补 {w} 人）",
    "mine_confirmed": "（您已报名）",
    "mine_waitlisted": "（您在候补第 {n} 位）",
    "list_foot": "回复“报名 编号”报名，例如：报名 {id}；回复“会议 编号”看议程。",
    "list_none": "近期没有您可以报名的会议。有新会议时会通知您。回复“帮助”看看能做什么。",
    "detail": "【编号{id}】{title}（{type}）\n时间：{when}\n地点：{place}\n报名截止：{deadline}\n{left}"
              "\n议程：{agenda}\n回复“报名 {id}”报名。",
    "detail_no_agenda": "暂未公布",
    # Signing up
    "signed_up": "报名成功！“{title}”\n时间：{when}\n地点：{place}\n您的签到码：{code}（到场时出示）\n"
                 "去不了请回复“取消报名 {id}”，把名额让给别人。",
    "waitlisted": "“{title}”名额已满，您已登记候补，候补第 {n} 位。有人取消时会按顺序递补并通知您。\n"
                  "不想等了可回复“取消报名 {id}”。",
    "already_confirmed": "您已报名“{title}”，签到码：{code}。回复“会议”看看其他会议。",
    "already_waitlisted": "您已报名“{title}”，目前候补第 {n} 位。回复“会议”看看其他会议。",
    "refuse_not_found": "没有找到编号为 {id} 的会议。回复“会议”看看可以报名的会议。",
    "refuse_cancelled": "“{title}”已取消，不能报名了。回复“会议”看看其他会议。",
    "refuse_done": "“{title}”已经结束了。回复“会议”看看其他会议。",
    "refuse_started": "“{title}”已经开始了，不能再报名。回复“会议”看看其他会议。",
    "refuse_deadline": "“{title}”的报名已于 {deadline} 截止。回复“会议”看看其他会议。",
    "refuse_scope": "“{title}”只面向{scope}的居民，您家不在范围内。回复“会议”看看您可以参加的会议。",
    "which_meeting": "您想报名哪个会议？请回复会议的编号。\n",
    "no_match": "没有找到{what}。回复“会议”看看可以报名的会议。",
    "my_head": "您报名的会议：",
    "my_item": "【编号{id}】{title}\n   {when}，{place}\n   {status}",
    "my_confirmed": "签到码 {code}（到场时出示）",
    "my_waitlisted": "候补第 {n} 位，递补时会通知您",
    "my_foot": "去不了请回复“取消报名 编号”，例如：取消报名 {id}",
    "my_none": "您现在没有报名的会议。回复“会议”看看近期有什么会。",
    "each_signs_up": "每人请各自报名：一个微信报一个名额，这次没有为您报名。\n"
                     "为您本人报名，请回复：报名 {id}\n同去的家人请用自己的微信回复“报名 {id}”。",
    "pick": "找到几个会议，您指的是哪一个？\n{items}\n回复编号，或回复“取消”。",
    "pick_item": "【编号{id}】{title}，{when}",
    # Cancelling
    "cancelled": "已取消报名“{title}”。回复“会议”看看其他会议。",
    "cancel_not_signed_up": "您没有报名“{title}”，无需取消。回复“会议”看看可以报名的会议。",
    "cancel_over": "“{title}”已经开始或结束，不能再取消报名。",
    "cancel_none": "您目前没有报名的会议。回复“会议”看看可以报名的会议。",
    "cancel_which": "您要取消哪个会议的报名？请回复“取消报名 编号”。\n",
    "describe_cancel": "取消报名“{title}”",
    "describe_cancel_any": "取消会议报名",
    "promoted": "递补成功！您已从候补转为正式报名“{title}”\n时间：{when}\n地点：{place}\n"
                "您的签到码：{code}。去不了请回复“取消报名 {id}”。",
    # Staff: check-in
    "checkin_usage": "签到格式：签到 会议编号 签到码，例如：签到 5 042517",
    "checkin_ok": "签到成功：{name}，{household}（“{title}”已签到 {n} 人）",
    "checkin_again": "{name}（{household}）已经签过到了，时间 {at}。",
    "checkin_bad_code": "会议 {id} 没有签到码 {code}，请核对后重新输入。\n" + "签到格式：签到 会议编号 签到码",
    "checkin_waitlisted": "{name}（{household}）还在候补，没有正式名额，签到未登记。",
    "checkin_not_found": "没有找到编号为 {id} 的会议，请核对。",
    "checkin_cancelled": "会议 {id} 已取消，无法签到。",
    "checkin_too_early": "“{title}”{when} 开始，还没到签到时间。开会前2小时（{opens}）起可以签到，这次没有登记。",
    "checkin_too_late": "“{title}”已于 {closes} 结束，不能再签到了。",
    "outcome_too_early": "“{title}”{when} 才开始，开会后才能发布会议结果，这次没有保存，也没有通知居民。",
    # Staff: creating by chat
    "create_title": "创建会议：请回复会议名称，例如：加装电梯恳谈会。随时回复“取消”退出。",
    "create_type": "会议类型是？\n{items}\n回复序号。",
    "create_when": "会议时间？例如：12月3日 19:30 或 下周三下午两点",
    "create_when_bad": "没看懂这个时间（需要日期和几点，且在将来），例如：12月3日 19:30",
    "create_place": "会议地点？例如：3号楼架空层",
    "create_capacity": "最多多少人？回复数字，不限人数回复 0",
    "create_capacity_bad": "请回复一个数字，不限人数回复 0",
    "create_confirm": "请确认：\n名称：{title}\n类型：{type}\n时间：{when}\n地点：{place}\n人数：{cap}\n"
                      "范围：{scope}\n回复 1 确认创建\n回复 2 取消",
    "create_done": "会议已创建，编号 {id}。居民回复“报名 {id}”即可报名。",
    "create_aborted": "好的，没有创建会议。",
    "create_no_scope": "还没有社区数据，无法创建会议。",
    # Rating
    "rate_usage": "评价格式：评价会议 会议编号 分数（1-5分，5分最好），例如：评价会议 {id} 5",
    "rate_ok": "感谢您的评价！“{title}”{score} 分。",
    "rate_again": "已更新您对“{title}”的评价：{score} 分。",
    "rate_not_yet": "“{title}”的会议结果还没有公布，公布后再来评价吧。",
    "rate_not_attended": "您没有参加“{title}”，不能评价。",
    "rate_not_found": "没有找到编号为 {id} 的会议。",
    "rate_bad_score": "分数请在 1 到 5 之间，例如：评价会议 {id} 5",
    "rate_nothing": "您目前没有待评价的会议。回复“会议”看看近期会议。",
    # Pushes
    "push_cancelled": "通知：“{title}”（原定 {when}，{place}）已取消，给您带来不便请谅解。",
    "push_changed": "通知：您报名的“{title}”有变动：\n时间：{when}\n地点：{place}\n"
                    "去不了请回复“取消报名 {id}”。",
    "push_remind_24h": "提醒：您报名的“{title}”将于 {when} 在{place}召开，签到码 {code}。"
                       "去不了请回复“取消报名 {id}”。",
    "push_remind_1h": "提醒：“{title}”1小时后（{when}）在{place}开始，签到码 {code}。",
    "push_outcome": "“{title}”会议结果：\n{outcome}\n请为本次会议打分：回复“评价会议 {id} 5”（1-5分，5分最好）。",
}


def when_text(dt: datetime, tz: tzinfo) -> str:
    """12月3日 19:30 in the community's time zone (also for jobs and the CLI, which have no ctx)."""
    t = dt.astimezone(tz)
    return f"{t.month}月{t.day}日 {t:%H:%M}"


def meeting_fields(m: Any, tz: tzinfo) -> dict[str, object]:
    """The values every meeting text may use."""
    return {"id": m.id, "title": m.title, "type": m.meeting_type, "place": m.place,
            "when": when_text(m.starts_at, tz), "deadline": when_text(m.signup_deadline, tz),
            "scope": m.scope_label or "指定范围"}


def render(key: str, m: Any = None, tz: Any = None, **extra: object) -> str:
    values: dict[str, object] = meeting_fields(m, tz) if m is not None else {}
    values.update(extra)
    return TEXTS[key].format(**values)
