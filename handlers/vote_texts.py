"""Everything residents and staff read about votes and conventions, in one place.

Pure data and string formatting (no database, no framework): the chat handlers, the CLI
and the scheduled jobs all render from here. Secret ballots: nothing here ever takes a
household together with its choice, except the voter's own cast confirmation.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

TEXTS = {
    # Pushes
    "opened": "【楼道表决】{title}（第{id}号）\n范围：{scope}\n{text}\n截止：{closes}{secret}\n"
              "怎么投（回复其中一行）：\n{choices}",
    "reminder": "【表决提醒】“{title}”（第{id}号）将于{closes}截止，您家还没有投票。\n"
                "怎么投（回复其中一行）：\n{choices}",
    "result": "【表决结果】{title}（第{id}号）：{outcome}\n{figures}{convention}\n回复“表决 {id}”查看详情。",
    "result_convention": "\n已成为本楼道的楼道公约，回复“公约”查看。",
    "secret_note": "\n（不记名表决：只统计结果，不公开各户的选择）",
    "push_extended": "【表决延期】“{title}”（第{id}号）的截止时间改为 {closes}。\n"
                     "还没投票的请回复“表决 {id}”查看并投票；已投的票仍然有效。",
    "push_cancelled": "【表决取消】“{title}”（第{id}号）已取消，已投的票不再计算。回复“表决”看其他表决。",
    # Resident replies
    "none_open": "目前没有需要您家表决的事项。有新的表决会第一时间通知您。",
    "list_head": "您家可以参加的表决：",
    "results_head": "最近结束的表决：",
    "results_item": "第{id}号 {title}：{outcome}",
    "results_foot": "看详情回复“表决 编号”，例如：表决 {id}",
    "results_none": "最近没有结束的表决。",
    # Lists lead with the vote's own number (its id), never a position: "投票 3" is vote 3.
    "list_item": "第{id}号 {title}（{closes}截止）{mine}",
    "list_foot": "看详情回复“表决 编号”，例如：表决 {id}\n投票回复“投票 编号 同意”，例如：投票 {id} 同意",
    "mine_voted": "［您家已投：{choice}］",
    "mine_voted_secret": "［您家已投票］",
    "mine_not": "［您家未投］",
    "no_such": "没有找到第{id}号表决。回复“表决”看可以参加的表决。",
    "owners_only": "第{id}号表决只由业主投票（每套房一票），您家登记的是租户，这次不能投票。"
                   "如果登记有误，请联系社区工作人员更正。",
    "owners_only_note": "（只计业主）",
    "for_other": "每户只能为自己家投票，不能替别人家投。请{who}用自己的微信回复“表决”投票"
                 "（还没绑定住址的，先回复“绑定”）。\n这次没有记录任何选择，您家的票也没有变动。",
    "not_in_scope": "第{id}号表决是{scope}的事项，您家不在本次表决范围，不能投票。回复“表决”看您家可参加的表决。",
    "not_open_yet": "第{id}号表决还没有开始，开始时会通知您。",
    "ended": "第{id}号表决已结束，不能再投票了。回复“表决 {id}”查看结果。",
    "cancelled": "第{id}号表决已取消。回复“表决”看其他表决。",
    "which_vote": "您家现在有几项表决，您说的是哪一项？请回复编号，例如：{example}\n{items}",
    "which_vote_item": "第{id}号 {title}（{closes}截止）",
    "pick_not_listed": "没有第{text}号。请回复上面列出的编号：{ids}，例如：{example}",
    "which_choice": "第{id}号表决“{title}”，请回复数字：\n{numbered}",
    "bad_choice": "没看懂您的选择。请回复数字：\n{numbered}",
    "recorded": "已为 {room} 记录：{choice}（第{id}号“{title}”）。\n"
                "截止{closes}前可以改票，家里任何一位成员再投就以最后一次为准。",
    "recorded_secret": "已为 {room} 记录您家的选择（第{id}号“{title}”，不记名表决：选择只计入结果，不向任何人显示）。\n"
                       "截止{closes}前可以改票，家里任何一位成员再投就以最后一次为准。",
    "confirm_cast": "您是要为您家（{room}）在第{id}号表决“{title}”中投“{choice}”票吗？\n回复 1 确认\n回复 2 取消",
    "show": "第{id}号表决：{title}\n范围：{scope}\n{text}\n选项：{options}\n{when}\n{status}",
    "show_when_open": "截止：{closes}",
    "show_when_later": "开始：{opens}，截止：{closes}",
    "show_running": "目前已投 {voted}/{eligible} 户：{by_option}",
    "show_hidden": "目前已投 {voted}/{eligible} 户。不记名表决，结果截止后公布。",
    "show_result": "结果：{outcome}\n{figures}",
    "show_state": {"draft": "尚未开始", "proposed": "楼道长提议，等待工作人员确认",
                   "cancelled": "已取消"},
    "show_mine": "{mine}",
    "show_foot": "回复“投票 {id} 同意”投票。",
    "show_foot_other": "回复“表决”看您家可以参加的表决，回复“公约”看本楼道公约。",
    "no_convention": "本楼道还没有通过的公约。有公约表决时会通知您。",
    "convention": "【{scope}楼道公约】第{version}版（{date}通过，第{vote_id}号表决）\n{title}\n{text}",
    # Staff
    "create_scope": "发起表决。请回复表决范围，例如：3号楼2单元；整个社区回复“全社区”\n（回复“取消”可随时退出）",
    "create_title": "范围：{scope}。请回复表决标题，例如：楼道公约修订",
    "create_text": "请回复表决内容（公约全文或事项说明）。",
    "create_closes": "请回复截止时间，例如：12月10日18点，或 2026-12-10 18:00",
    "create_bad_time": "没看懂截止时间“{text}”，请按“2026-12-10 18:00”的样子写，且要晚于现在。",
    "create_confirm": "请确认：\n范围：{scope}\n标题：{title}\n内容：{text}\n截止：{closes}\n"
                      "规则：按户过半\n回复 1 确认发起 / 2 取消",
    "create_failed": "没能发起表决：{why}。请回复“发起表决”重新开始。",
    "create_done": "已发起第{id}号表决“{title}”，已通知 {households} 户。截止：{closes}",
    "proposed": "已提交第{id}号表决“{title}”的提议，工作人员确认后通知本楼道各户。",
    "proposed_staff": "楼道长提议了第{id}号表决“{title}”（{scope}）。回复“确认表决 {id}”发起。",
    "confirm_done": "已确认第{id}号表决“{title}”，已通知 {households} 户。",
    "confirm_expired": "第{id}号提议“{title}”的截止时间（{closes}）已经过了，没有发起，也没有通知居民。\n"
                       "请先回复“延长表决 {id} 新截止时间”（例如：延长表决 {id} 12月8日18点），再回复“确认表决 {id}”。",
    "confirm_not_proposed": "第{id}号表决不是待确认的提议。",
    "pending_head": "待您确认的表决提议：",
    "pending_item": "第{id}号 {title}（{scope}，{closes}截止）",
    "pending_item_expired": "第{id}号 {title}（{scope}，截止时间{closes}已过，需先延长）",
    "pending_foot": "回复“确认表决 编号”发起，例如：确认表决 {id}",
    "pending_none": "目前没有待您确认的表决提议。楼道长提议表决时会通知您。",
    # Staff: extending and cancelling by chat (the console and `flask vote` do the same)
    "extend_usage": "延长格式：延长表决 编号 新截止时间，例如：延长表决 {id} 12月8日18点",
    "extend_bad_time": "没看懂新的截止时间“{text}”。请这样写：延长表决 {id} 12月8日18点（要晚于现在）",
    "extend_not_open": "第{id}号表决已经结束或已取消，不能延长。",
    "extend_too_early": "新的截止时间必须晚于现在和表决开始时间。第{id}号现在的截止时间是 {closes}。",
    "extend_confirm": "确认把第{id}号表决“{title}”的截止时间从 {old} 改为 {new} 吗？{who}\n"
                      "回复 1 确认\n回复 2 取消",
    "extend_who_open": "\n确认后会通知可以投票的 {households} 户。",
    "extend_done": "第{id}号表决“{title}”的截止时间已改为 {closes}。{told}",
    "extend_told": "已通知 {households} 户。",
    "cancel_usage": "取消格式：取消表决 编号，例如：取消表决 {id}",
    "cancel_confirm": "确认取消第{id}号表决“{title}”吗？取消后已投的票不再计算，不能恢复。{who}\n"
                      "回复 1 确认取消\n回复 2 不取消",
    "cancel_who_open": "\n确认后会通知可以投票的 {households} 户。",
    "cancel_done": "第{id}号表决“{title}”已取消。{told}",
    "cancel_not_open": "第{id}号表决已经结束或已取消，不能再取消。",
    "change_kept": "好的，第{id}号表决没有改动。",
    "bad_scope": "表决范围“{text}”没找到：{why}请重新回复，例如：3号楼2单元",
    "head_no_unit": "您还没有绑定本楼道的住址，不能提议表决。",
    "staff_only": "这个操作需要工作人员权限。如需帮助，请回复“帮助”。",
}

OUTCOME = {"passed": "通过", "failed": "未通过", "no_quorum": "参与户数不足，表决无效"}


def numbered_choices(vote_id: int, options: list[str]) -> str:
    """One typed command a line, the choice beside it: 回复“投票 3 1”：同意."""
    return "\n".join(f"回复“投票 {vote_id} {i}”：{o}" for i, o in enumerate(options, 1))


def numbered_lines(options: list[str]) -> str:
    return "\n".join(f"回复 {i} {o}" for i, o in enumerate(options, 1))


def shorten(text: str, limit: int = 120) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def figures_text(figures: dict[str, Any], options: list[str]) -> str:
    """Per-option households (and area when the rule counts area) — never per household."""
    with_area = bool(figures.get("owners_only")) or any(
        (figures.get("rule") or {}).get(part, {}).get("area") for part in ("quorum", "approve"))
    who = "业主" if figures.get("owners_only") else "户"
    e, p = figures["eligible"], figures["participated"]
    line = f"参与 {p['households']}/{e['households']} {who}"
    if with_area:
        line += f"，面积 {_area(p['area'])}/{_area(e['area'])}㎡"
    parts = []
    for o in options:
        g = figures["options"].get(o, {"households": 0, "area": "0"})
        parts.append(f"{o} {g['households']}{who}" + (f"（{_area(g['area'])}㎡）" if with_area else ""))
    return line + "\n" + "，".join(parts)


def _area(value: str) -> str:
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def by_option_text(counts: dict[str, int], options: list[str]) -> str:
    return "，".join(f"{o} {counts.get(o, 0)}户" for o in options)


def when_text(fmt: Callable[[datetime], str], opens: datetime, closes: datetime,
              started: bool) -> str:
    if started:
        return TEXTS["show_when_open"].format(closes=fmt(closes))
    return TEXTS["show_when_later"].format(opens=fmt(opens), closes=fmt(closes))


def local_text(when: datetime, tz: Any) -> str:
    """12月3日 19:30 in the community's time zone (as handlers.common.local)."""
    t = when.astimezone(tz)
    return f"{t.month}月{t.day}日 {t:%H:%M}"
