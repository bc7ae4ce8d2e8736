"""The NLU result type and the list of intents it can return."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# PRODUCT §3 intents, the staff ones, and the few the conversation needs besides.
RESIDENT_INTENTS = (
    "help",
    "greeting",
    "cancel",
    "bind",
    "unbind",
    "profile",
    "complaint.new",
    "complaint.status",
    "complaint.rate",
    "complaint.reopen",
    "vote.list",
    "vote.show",
    "vote.cast",
    "convention.show",
    "meeting.list",
    "meeting.signup",
    "meeting.cancel",
    "meeting.checkin",
    "meeting.rate",
    "bulletin.latest",
    "bulletin.subscribe",
    "bulletin.unsubscribe",
    "bulletin.subscriptions",
    "contact",
)
STAFF_INTENTS = (
    "complaint.cluster_meeting",
    "complaint.accept",
    "complaint.resolve",
    "complaint.reject",
    "complaint.assign",
    "complaint.merge",
    "complaint.todo",
    "binding.review",
    "binding.decide",
    "bulletin.publish",
    "vote.create",
    "vote.open",
    "meeting.create",
    "stats",
)
UNKNOWN = "unknown"
INTENTS = (*RESIDENT_INTENTS, *STAFF_INTENTS, UNKNOWN)

# Request categories of PRODUCT §3 (slot `category` of complaint.new).
CATEGORIES = {
    "repair": "设施报修",
    "sanitation": "环境卫生",
    "noise": "噪音扰民",
    "parking": "停车交通",
    "property": "物业服务",
    "safety": "安全隐患",
    "dispute": "邻里纠纷",
    "greenery": "绿化养护",
    "other": "其他",
}
# Bulletin topics of PRODUCT §7 (slot `topic`).
TOPICS = ("停水停电", "活动", "政策", "安全提醒", "公约公示", "社区动态")
CHOICES = ("同意", "反对", "弃权")


@dataclass(frozen=True)
class Understanding:
    """What a message means: an intent, its slots, and how sure we are."""

    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.0
    canonical: bool = False
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the `flask nlu` output line)."""
        return {
            "intent": self.intent,
            "slots": self.slots,
            "confidence": round(self.confidence, 3),
            "canonical": self.canonical,
            "text": self.text,
        }
