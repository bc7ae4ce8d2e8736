"""Staff decisions on pending bindings (绑定审核) from the console: the binding family's own
`decide` (atomic, once) and its own wording for the resident's push, with the same
notice key as a decision made by chat, so a resident is never told twice."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from handlers.binding import TEXTS
from models import authz
from models.community import Household
from models.people import BindingRequest, Staff, decide as decide_request
from notices import deliver


@dataclass
class Decision:
    ok: bool
    message: str
    pushed: list[int]


def decide(session: Session, request_id: int, staff: Staff, approve: bool, reason: str,
           now: datetime) -> Decision:
    """Approve or reject one pending request and queue the resident's push."""
    req = session.get(BindingRequest, request_id)
    home = session.get(Household, req.household_id) if req is not None else None
    if req is None or home is None or not authz.sees(session, staff, home.community_id):
        return Decision(False, "找不到这条绑定申请。", [])   # another community's: as if absent
    if not authz.covers(session, staff, req.household_id):
        return Decision(False, "这户不在您负责的范围内。", [])
    reason = reason or ("" if approve else TEXTS["reject_default_reason"])
    done = decide_request(session, request_id, staff, approve, reason or None, now)
    if done is None:
        return Decision(False, "这条申请已经处理过了。", [])
    household = session.get(Household, done.household_id)
    label = household.label if household else ""
    key = "approved" if approve else "rejected"
    text = TEXTS[f"push_{key}"].format(label=label, reason=reason)
    row = deliver.enqueue(session, done.openid, text, notice_key=f"binding:{done.id}:{key}",
                          kind="binding", now=now)
    verdict = "已通过" if approve else f"已驳回（原因：{reason}）"
    return Decision(True, f"{label} {done.name}：{verdict}，已通知居民。", [row.id] if row else [])
