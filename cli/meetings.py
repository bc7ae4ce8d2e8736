"""flask meeting create|edit|cancel|roster|ical|outcome — the staff side of meetings."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from cli.common import community_option, linli, parse_local, resolve_scope
from handlers.meeting_texts import render
from models import meeting_signup as ms
from models.base import utcnow
from models.db import transaction
from models.meeting_export import ical, roster_csv
from models.meetings import TYPES, Meeting, MeetingError, Signup, create_meeting, edit_meeting, get_meeting
from notices import deliver

OPTION_OF = {"title": "--title", "type": "--type", "at": "--at", "place": "--place",
             "capacity": "--capacity", "deadline": "--deadline", "ends": "--ends", "scope": "--scope",
             "id": "ID", "meeting_type": "--type", "starts_at": "--at", "signup_deadline": "--deadline"}


def _meeting(session, meeting_id: int, lock: bool = False) -> Meeting:  # type: ignore[no-untyped-def]
    m = get_meeting(session, meeting_id, lock=lock)
    if m is None:
        raise click.BadParameter(f"no meeting with id {meeting_id}", param_hint="ID")
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
        raise click.BadParameter(f"{value!r}: one of {' / '.join(TYPES)}", param_hint="--type")
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
    @click.option("--capacity", type=click.IntRange(min=0), default=0, help="0 = no limit")
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
        click.echo(f"meeting {meeting_id}: changed {', '.join(changed) or 'nothing'}; "
                   f"{len(ids)} people told")

    @meeting.command("cancel")
    @click.argument("meeting_id", type=int)
    def cancel_cmd(meeting_id: int) -> None:
        """Cancel a meeting; everyone signed up is told."""
        tz = linli().settings.community.tz
        with transaction(linli().factory) as s:
            m = _meeting(s, meeting_id, lock=True)
            if m.state != "scheduled":
                raise click.ClickException(f"meeting {meeting_id} is already {m.state}")
            openids = ms.cancel_meeting(s, m, utcnow())
            ids = _push(s, openids, render("push_cancelled", m, tz), f"meeting:{m.id}:cancelled")
        _send(ids)
        click.echo(f"meeting {meeting_id} cancelled; {len(ids)} people told")

    @meeting.command("roster")
    @click.argument("meeting_id", type=int)
    @click.option("--out", type=click.Path(dir_okay=False, writable=True))
    def roster_cmd(meeting_id: int, out: str | None) -> None:
        """The sign-ups as CSV: name, household, status, position, code, checked-in."""
        with linli().factory() as s:
            _meeting(s, meeting_id)
            text = roster_csv(s, meeting_id, linli().settings.community.tz)
        if out:
            with open(out, "w", encoding="utf-8-sig", newline="") as f:
                f.write(text)
            click.echo(f"wrote {out}")
        else:
            click.echo(text, nl=False)

    @meeting.command("ical")
    @click.argument("meeting_id", type=int)
    @click.option("--out", type=click.Path(dir_okay=False, writable=True))
    def ical_cmd(meeting_id: int, out: str | None) -> None:
        """The meeting as an iCalendar event (.ics)."""
        with linli().factory() as s:
            m = _meeting(s, meeting_id)
            data = ical(m, linli().settings)
        if out:
            with open(out, "wb") as f:
                f.write(data)
            click.echo(f"wrote {out}")
        else:
            click.echo(data.decode(), nl=False)

    @meeting.command("outcome")
    @click.argument("meeting_id", type=int)
    @click.option("--text", "text", required=True, help="the minutes / outcome")
    def outcome_cmd(meeting_id: int, text: str) -> None:
        """Post the outcome; attendees are pushed it (once) and asked to rate the meeting."""
        tz = linli().settings.community.tz
        if not text.strip():
            raise click.BadParameter("the outcome is empty", param_hint="--text")
        with transaction(linli().factory) as s:
            m = _meeting(s, meeting_id, lock=True)
            if m.state == "cancelled":
                raise click.ClickException(f"meeting {meeting_id} was cancelled")
            who = ms.post_outcome(s, m, text, utcnow())
            ids = _push(s, [a.openid for a in who], render("push_outcome", m, tz, outcome=m.outcome),
                        f"meeting:{m.id}:outcome")
        _send(ids)
        click.echo(f"meeting {meeting_id}: outcome saved; {len(ids)} attendees told")


