"""Shared by the community tests: import a roster into an app's database, people, pushes."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models.base import utcnow
from models.db import transaction
from models.people import Staff
from models.resident import Resident
from models.roster import Report, import_roster
from models.roster_io import read_roster
from models.sandbox import SandboxMessage

ROSTER_DIR = Path(__file__).resolve().parent.parent / "data" / "roster"
SMALL = ROSTER_DIR / "small.csv"
HEADER = "居民点,楼栋,单元,室号,姓名,手机,面积,身份"


def load_roster(app: Any, path: Path = SMALL, *, partial: bool = False) -> Report:
    linli = app.extensions["linli"]
    with transaction(linli.factory) as s:
        return import_roster(s, read_roster(path), utcnow(), linli.settings.server.secret_key,
                             community_name=linli.settings.community.name, partial=partial)


def add_staff(app: Any, openid: str, role: str = "网格员", **kw: Any) -> None:
    with transaction(app.extensions["linli"].factory) as s:
        s.add(Staff(openid=openid, name=kw.pop("name", "李网格"), role=role, **kw))


def pushes(app: Any, openid: str) -> list[str]:
    with app.extensions["linli"].factory() as s:
        rows = s.scalars(select(SandboxMessage).where(SandboxMessage.openid == openid,
                                                      SandboxMessage.direction == "push")
                         .order_by(SandboxMessage.id))
        return [str(r.body.get("text", {}).get("content") or r.body) for r in rows]


def resident(app: Any, openid: str) -> Resident | None:
    with app.extensions["linli"].factory() as s:
        return s.scalars(select(Resident).where(Resident.openid == openid)).first()


def count(app: Any, model: Any) -> int:
    with app.extensions["linli"].factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0
