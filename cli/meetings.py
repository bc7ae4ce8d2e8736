"""flask meeting create|edit|cancel|roster|ical|outcome — the staff side of meetings."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from cli.common import community_option, linli, parse_local, resolve_scope
from handlers.meeting_texts import render
from models import meeting_export
from models import meeting_signup as ms
from models.base import utcnow
from models.db import transaction
from models.meetings import TYPES, Meeting, MeetingError, Signup, create_meeting, edit_meeting, get_meeting
from notices import deliver

OPTION_OF = {"title": "--title", "type": "--type", "at": "--at", "place": "--place",
             "capacity": "--capacity", "deadline": "--deadline", "ends": "--ends", "scope": "--scope",
             "id": "ID", "meeting_type": "--type", "starts_at": "--at", "signup_deadline": "--deadline"}


STATE_CN = {"scheduled": "安排", "cancelled": "取消", "done": "结束"}
CHANGED_CN = {"title": "名称", "meeting_type": "类型", "starts_at": "时间", "ends_at": "结束时间",
              "place": "地点", "agenda": "议程", "capacity": "人数上限", "signup_deadline": "报名截止"}


def _meeting(session, meeting_id: int, lock: bool = False) -> Meeting:  # type: ignore[no-untyped-def]
    m = get_meeting(session, meeting_id, lock=lock)
    if m is None:
        raise click.BadParameter(f"没有编号为 {meeting_id} 的会议", param_hint="ID")
    return m


def _fail(exc: MeetingError) -> click.BadParameter:
    return click.BadParameter(str(exc), param_hint=OPTION_OF.get(exc.field, exc.field))


def _push(session, openids: list[str], text: str, key: str) -> list[int]:  # type: ignore[no-untyped-def]
    return deliver.enqueue_many(session, openids, text, notice_key=key, kind="meeting", now=utcnow())


def _send(ids: list[int]) -> None:
    if ids:
        linli().sender.send_ids(ids)


def _type(value: str | None) -> str | None:
    if value is not None and value not in TYPES:
        raise click.BadParameter(f"{value!r}：应为 {' / '.join(TYPES)} 之一", param_hint="--type")
    return value


def register(app: Flask) -> None:
    """Adds this family's commands."""
    @app.cli.group("meeting")
    def meeting() -> None:
        """Meetings: create, edit, cancel, roster, iCalendar, outcome."""

    @meeting.command("create")
    @click.option("--title", required=True)
    @click.option("--type", "kind", required=True, help=" / ".join(TYPES))
    @click.option("--at", "at", required=True, help='"YYYY-MM-DD HH:MM", community time')
    @click.option("--place", required=True)
    @click.option("--capacity", type=click.IntRange(min=0), default=0, help="0 = 不限人数 (no limit)")
    @click.option("--scope", help="who may sign up: 黄巷新村 / 3号楼 / 全社区 (default)")
    @click.option("--deadline", help='sign-up deadline "YYYY-MM-DD HH:MM" (default: the start)')
    @click.option("--ends", help='end "YYYY-MM-DD HH:MM" (default: start + 2 h)')
    @click.option("--agenda", default="")
    @community_option
    def create_cmd(title: str, kind: str, at: str, place: str, capacity: int, scope: str | None,
                   deadline: str | None, ends: str | None, agenda: str,
                   community_name: str | None) -> None:
        """Create a meeting; prints its id."""
        _type(kind)
        starts = parse_local(at, "--at")
        dl = parse_local(deadline, "--deadline") if deadline else None
        end = parse_local(ends, "--ends") if ends else None
        with transaction(linli().factory) as s:
            try:
                m = create_meeting(s, title=title, meeting_type=kind, starts_at=starts, place=place,
                                   scope=resolve_scope(s, scope, community=community_name),
                                   now=utcnow(), agenda=agenda,
                                   capacity=capacity or None, deadline=dl, ends_at=end,
                                   created_by="cli")
            except MeetingError as exc:
                raise _fail(exc) from exc
            click.echo(m.id)

    @meeting.command("edit")
    @click.argument("meeting_id", type=int)
    @click.option("--title")
    @click.option("--type", "kind")
    @click.option("--at", "at")
    @click.option("--ends")
    @click.option("--place")
    @click.option("--capacity", type=click.IntRange(min=1))
    @click.option("--deadline")
    @click.option("--agenda")
    def edit_cmd(meeting_id: int, title: str | None, kind: str | None, at: str | None,
                 ends: str | None, place: str | None, capacity: int | None,
                 deadline: str | None, agenda: str | None) -> None:
        """Change a meeting; everyone signed up is told of a new time or place."""
        tz = linli().settings.community.tz
        changes = {"title": title, "meeting_type": _type(kind), "place": place,
                   "capacity": capacity, "agenda": agenda,
                   "starts_at": parse_local(at, "--at") if at else None,
                   "ends_at": parse_local(ends, "--ends") if ends else None,
                   "signup_deadline": parse_local(deadline, "--deadline") if deadline else None}
        now = utcnow()
        ids: list[int] = []
        with transaction(linli().factory) as s:
            m = _meeting(s, meeting_id, lock=True)
            try:
                changed = edit_meeting(s, m, now, **changes)
            except MeetingError as exc:
                raise _fail(exc) from exc
            promoted = ms.fill_places(s, m, now) if "capacity" in changed else []
            for p in promoted:
                ids += _push(s, [p.openid], render("promoted", m, tz, code=p.checkin_code),
                             f"meeting:{m.id}:promoted:{p.id}:{int(now.timestamp())}")
            if set(changed) & {"title", "starts_at", "ends_at", "place"}:
                stamp = int(now.timestamp())
                ids += _push(s, ms.signed_up_openids(s, m.id), render("push_changed", m, tz),
                             f"meeting:{m.id}:changed:{stamp}")
                # a new time means new reminders
                if "starts_at" in changed:
                    for su in s.scalars(select(Signup).where(Signup.meeting_id == m.id)):
                        su.reminded_24h_at = su.reminded_1h_at = None
        _send(ids)
        names = "、".join(CHANGED_CN.get(c, c) for c in changed) or "没有改动"
        click.echo(f"会议 {meeting_id}：已修改 {names}；已通知 {len(ids)} 人")

    @meeting.command("cancel")
    @click.argument("meeting_id", type=int)
    def cancel_cmd(meeting_id: int) -> None:
        """Cancel a meeting; everyone signed up is told."""
        tz = linli().settings.community.tz
        with transaction(linli().factory) as s:
            m = _meeting(s, meeting_id, lock=True)
            if m.state != "scheduled":
                raise click.ClickException(f"会议 {meeting_id} 已经{STATE_CN.get(m.state, m.state)}，不能再取消")
            openids = ms.cancel_meeting(s, m, utcnow())
            ids = _push(s, openids, render("push_cancelled", m, tz), f"meeting:{m.id}:cancelled")
        _send(ids)
        click.echo(f"会议 {meeting_id} 已取消；已通知 {len(ids)} 人")

    @meeting.command("roster")
    @click.argument("meeting_id", type=int)
    @click.option("--out", type=click.Path(dir_okay=False, writable=True))
    def roster_cmd(meeting_id: int, out: str | None) -> None:
        """The sign-ups as CSV: 姓名, 住户, 状态, 候补顺序, 签到码, 签到时间."""
        with linli().factory() as s:
            _meeting(s, meeting_id)
            text = meeting_export.roster_csv(s, meeting_id, linli().settings.community.tz)
        if out:
            with open(out, "w", encoding="utf-8-sig", newline="") as f:
                f.write(text)
            click.echo(f"已写入 {out}")
        else:
            click.echo(text, nl=False)

    @meeting.command("ical")
    @click.argument("meeting_id", type=int)
    @click.option("--out", type=click.Path(dir_okay=False, writable=True))
    def ical_cmd(meeting_id: int, out: str | None) -> None:
        """The meeting as an iCalendar event (.ics)."""
        with linli().factory() as s:
            m = _meeting(s, meeting_id)
            data = meeting_export.ical(m, linli().settings)
        if out:
            with open(out, "wb") as f:
                f.write(data)
            click.echo(f"已写入 {out}")
        else:
            click.echo(data.decode(), nl=False)

    @meeting.command("outcome")
    @click.argument("meeting_id", type=int)
    @click.option("--text", "text", required=True, help="the minutes / outcome")
    @click.option("--now", "now_text", default=None, hidden=True, help="the clock (tests)")
    def outcome_cmd(meeting_id: int, text: str, now_text: str | None) -> None:
        """Post the outcome (after the start); attendees are pushed it (once) and asked to rate it."""
        tz = linli().settings.community.tz
        now = parse_local(now_text, "--now")
        if not text.strip():
            raise click.BadParameter("会议结果不能为空", param_hint="--text")
        with transaction(linli().factory) as s:
            m = _meeting(s, meeting_id, lock=True)
            if m.state == "cancelled":
                raise click.ClickException(f"会议 {meeting_id} 已取消，不能发布结果")
            if now < m.starts_at:
                raise click.ClickException(render("outcome_too_early", m, tz))
            who = ms.post_outcome(s, m, text, now)
            ids = _push(s, [a.openid for a in who], render("push_outcome", m, tz, outcome=m.outcome),
                        f"meeting:{m.id}:outcome")
        _send(ids)
        click.echo(f"会议 {meeting_id}：结果已保存；已通知 {len(ids)} 位参会居民")


