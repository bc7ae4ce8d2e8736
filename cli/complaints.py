"""flask complaints list|show|stats|cluster-meeting: requests (民情诉求) for operators."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask import Flask
from sqlalchemy import select

from cli.common import community_option, linli, parse_local, resolve_community
from models.complaint_rules import cluster_meeting
from models.complaint_stats import complaint_stats
from models.community import communities
from models.complaints import STATE_LABELS, Complaint, ComplaintEvent, by_ticket
from models.db import transaction
from models.people import Staff


def _local(dt: datetime | None) -> str:
    if dt is None:
        return "-"
    return dt.astimezone(linli().settings.community.tz).strftime("%Y-%m-%d %H:%M")


def register(app: Flask) -> None:
    @app.cli.group("complaints")
    def complaints() -> None:
        """Requests (民情诉求)."""

    @complaints.command("list")
    @click.option("--state", type=click.Choice(list(STATE_LABELS)), help="only this state")
    @click.option("--overdue", is_flag=True, help="only requests past their time limit")
    @click.option("--now", "now_text", help='the clock for --overdue, "YYYY-MM-DD HH:MM"')
    @community_option
    def list_cmd(state: str | None, overdue: bool, now_text: str | None,
                 community_name: str | None) -> None:
        """List requests, newest first (of one community with --community)."""
        now = parse_local(now_text) if now_text else datetime.now(UTC)
        with linli().factory() as s:
            q = select(Complaint).order_by(Complaint.created_at.desc(), Complaint.id.desc())
            c = resolve_community(s, community_name, required=False)
            if c is not None:
                q = q.where(Complaint.community_id == c.id)
            if state:
                q = q.where(Complaint.state == state)
            rows = [c for c in s.scalars(q) if not overdue or c.overdue(now)]
            for c in rows:
                flag = "超时 " if c.overdue(now) else ""
                click.echo(f"{c.ticket}  {flag}{c.state_label}  {c.category_label}  "
                           f"{_local(c.created_at)}  {c.text[:30]}")
            click.echo(f"{len(rows)} request(s)")

    @complaints.command("show")
    @click.argument("ticket")
    def show_cmd(ticket: str) -> None:
        """One request with its timeline."""
        with linli().factory() as s:
            c = by_ticket(s, ticket)
            if c is None:
                raise click.BadParameter(f"no request {ticket!r}", param_hint="TICKET")
            assignee = s.get(Staff, c.assignee_id) if c.assignee_id else None
            click.echo(f"{c.ticket}  {c.state_label} ({c.state})  {c.category_label}")
            click.echo(f"household {c.household_id}  openid {c.openid}  "
                       f"assignee {assignee.name if assignee else '-'}")
            click.echo(f"text: {c.text}")
            click.echo(f"photos: {len(c.photos or [])}  location: {json.dumps(c.location, ensure_ascii=False)}")
            click.echo(f"created {_local(c.created_at)}  accept by {_local(c.accept_due_at)}  "
                       f"resolve by {_local(c.resolve_due_at)}")
            if c.rating:
                click.echo(f"rating {c.rating} {c.rating_comment or ''}")
            for e in s.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id)
                               .order_by(ComplaintEvent.id)):
                click.echo(f"  {_local(e.at)}  {e.from_state or '-'} → {e.to_state}  "
                           f"[{e.actor_kind} {e.actor_id}]  {e.note or ''}")

    @complaints.command("stats")
    @click.option("--since", help='"YYYY-MM-DD" in the community time zone')
    @community_option
    def stats_cmd(since: str | None, community_name: str | None) -> None:
        """Counts, median times and ratings of one community as JSON."""
        with linli().factory() as s:
            # several communities: one must be named (the error lists them)
            c = resolve_community(s, community_name, required=len(communities(s)) > 1)
            data = complaint_stats(s, community_id=c.id if c else None,
                                   since=parse_local(since, "--since") if since else None)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))

    @complaints.command("cluster-meeting")
    @click.argument("cluster_id", type=int)
    @click.option("--at", "at_text", required=True, help='start, "YYYY-MM-DD HH:MM"')
    @click.option("--place", required=True, help="where it is held")
    @click.option("--title", help="the meeting's title (default: building + category)")
    @click.option("--type", "meeting_type", default="恳谈会", show_default=True)
    def cluster_meeting_cmd(cluster_id: int, at_text: str, place: str, title: str | None,
                            meeting_type: str) -> None:
        """Turn a hot issue (一事一议一决) into an invitation meeting for its households."""
        from models.meetings import Invitation, MeetingError

        starts_at = parse_local(at_text, "--at")
        now = datetime.now(UTC)
        try:
            with transaction(linli().factory) as s:
                m = cluster_meeting(s, cluster_id, starts_at=starts_at, place=place, now=now,
                                    title=title, meeting_type=meeting_type, created_by="cli")
                ids = list(getattr(m, "queued_ids", []) or [])
                meeting_id = m.id  # type: ignore[attr-defined]
                invited = len(s.scalars(select(Invitation.id).where(
                    Invitation.meeting_id == meeting_id)).all())
        except MeetingError as exc:
            raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from None
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="CLUSTER_ID") from None
        sent = linli().sender.send_ids(ids, now) if ids else 0
        click.echo(f"meeting {meeting_id} created for cluster {cluster_id}: "
                   f"{invited} household(s) invited, {len(ids)} push(es) queued, {sent} sent")
