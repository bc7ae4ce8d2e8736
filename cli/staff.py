"""flask staff add / list / set-head / unset-head: staff accounts and stairwell heads.

Staff belong to one community: `add` takes --community NAME when the database holds
several (the only one otherwise); --scope names a place inside it."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from cli.common import community_option, linli, resolve_community
from models.address import AddressError, parse_address
from models.authz import RoleError, check_role, community_of
from models.community import Community, Household, Place, communities, find_scope
from models.db import transaction
from models.people import ROLES, Staff
from models.resident import Resident


def _scope(session: Session, text: str, community: Community | None) -> tuple[str, int | None, str]:
    """--scope text → (kind, id, label) inside the community; the whole of it when empty."""
    if not text.strip():
        return "community", community.id if community else None, "全社区"
    try:
        address = parse_address(text)
    except AddressError as exc:
        raise click.BadParameter(f"{text!r}: {exc.message}", param_hint="--scope") from None
    if address.level == "room":
        raise click.BadParameter(f"{text!r} is a household; a staff scope is a 居民点, 楼栋 or 单元",
                                 param_hint="--scope")
    scope = find_scope(session, address, community.id if community else None)
    if scope is None:
        raise click.BadParameter(f"{text!r}: no such place in the roster (or it is ambiguous; "
                                 "name the 居民点, e.g. 黄巷新村3号楼)", param_hint="--scope")
    return scope.kind, scope.id, scope.label


def _scope_label(session: Session, st: Staff) -> str:
    if st.scope_kind == "community" or st.scope_id is None:
        label = "全社区"
    else:
        place = session.get(Place, st.scope_id)
        label = place.label if place else f"{st.scope_kind}:{st.scope_id}"
    if len(communities(session)) > 1:   # which community, once there are several
        c = session.get(Community, community_of(session, st) or 0)
        label = f"{c.name if c else '?'} {label}"
    return label


def _resident(session: Session, openid: str) -> Resident:
    r = session.scalars(select(Resident).where(Resident.openid == openid).with_for_update()).first()
    if r is None:
        raise click.BadParameter(f"{openid!r}: no resident with this openid", param_hint="OPENID")
    return r


def register(app: Flask) -> None:
    @app.cli.group("staff", help="Staff accounts (网格员/社工/居委会/管理员) and 楼道长.")
    def staff() -> None:
        pass

    @staff.command("add")
    @click.argument("openid")
    @click.option("--name", required=True, help="The staff member's name.")
    @click.option("--role", required=True, help="One of: " + ", ".join(ROLES))
    @click.option("--scope", default="", help='The part they serve, e.g. "黄巷新村3号楼" (default: all).')
    @click.option("--username", default=None, help="Login name for the web console.")
    @click.option("--password", default=None, help="Console password (stored hashed).")
    @community_option
    def add(openid: str, name: str, role: str, scope: str, username: str | None,
            password: str | None, community_name: str | None) -> None:
        """Add a staff member (or update the one with this openid)."""
        try:
            role = check_role(role)
        except RoleError:
            raise click.BadParameter(f"{role!r} is not a role; choose one of: {', '.join(ROLES)}",
                                     param_hint="--role") from None
        if not name.strip():
            raise click.BadParameter("must not be empty", param_hint="--name")
        if password is not None and not username:
            raise click.BadParameter("--password needs --username", param_hint="--password")
        with transaction(linli().factory) as s:
            # None only while no community exists (then the first roster makes one)
            community = resolve_community(s, community_name, required=len(communities(s)) > 1)
            kind, scope_id, label = _scope(s, scope, community)
            if community is not None and len(communities(s)) > 1:
                label = f"{community.name} {label}"
            if username:
                other = s.scalars(select(Staff).where(Staff.username == username)).first()
                if other is not None and other.openid != openid:
                    raise click.BadParameter(f"{username!r} is taken by {other.name}", param_hint="--username")
            st = s.scalars(select(Staff).where(Staff.openid == openid).with_for_update()).first()
            verb = "已更新" if st is not None else "已添加"
            if st is None:
                st = Staff(openid=openid, name=name, role=role)
                s.add(st)
            st.name, st.role, st.scope_kind, st.scope_id, st.active = name.strip(), role, kind, scope_id, True
            if username:
                st.username = username
            if password is not None:
                st.password_hash = generate_password_hash(password)
        click.echo(f"{verb}：{openid} {name} {role}（{label}）")

    @staff.command("list")
    def list_() -> None:
        """List staff members."""
        with linli().factory() as s:
            rows = list(s.scalars(select(Staff).order_by(Staff.id)))
            if not rows:
                click.echo("还没有工作人员。添加：flask staff add OPENID --name 姓名 --role 角色")
            for st in rows:
                login = f" login={st.username}" if st.username else ""
                state = "" if st.active else " (inactive)"
                click.echo(f"{st.openid or '-'}\t{st.name}\t{st.role}\t{_scope_label(s, st)}{login}{state}")

    @staff.command("set-head")
    @click.argument("openid")
    def set_head(openid: str) -> None:
        """Make a verified resident the 楼道长 of their unit."""
        with transaction(linli().factory) as s:
            r = _resident(s, openid)
            if not r.verified:
                raise click.BadParameter(f"{openid!r} is not a verified resident (status {r.status})",
                                         param_hint="OPENID")
            h = s.get(Household, r.household_id)
            r.stairwell_head = True
            unit = s.get(Place, h.unit_id) if h else None
            heads = list(s.scalars(select(Resident.name).join(Household, Household.id == Resident.household_id)
                                   .where(Household.unit_id == (h.unit_id if h else -1),
                                          Resident.stairwell_head.is_(True))))
        click.echo(f"{r.name} 现在是 {unit.label if unit else '?'} 的楼道长（该单元楼道长：{'、'.join(heads)}）")

    @staff.command("unset-head")
    @click.argument("openid")
    def unset_head(openid: str) -> None:
        """Take the 楼道长 role away from a resident."""
        with transaction(linli().factory) as s:
            r = _resident(s, openid)
            if not r.stairwell_head:
                raise click.ClickException(f"{openid} is not a 楼道长")
            r.stairwell_head = False
        click.echo(f"{r.name or openid} 不再是楼道长")
