"""转恳谈会: staff turn a hot issue into an invitation meeting by chat."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.nlu import get_nlu

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_cluster_meeting_command_reads_number_time_and_place() -> None:
    u = get_nlu().understand("转恳谈会 3 明天下午3点 社区活动室", NOW)
    assert u.intent == "complaint.cluster_meeting" and u.canonical
    assert u.slots["cluster"] == 3 and u.slots["place"] == "社区活动室"
    assert u.slots["when"] == "2026-11-28T15:00:00+08:00"


def test_cluster_meeting_command_without_details_still_names_the_intent() -> None:
    u = get_nlu().understand("转恳谈会 3", NOW)
    assert u.intent == "complaint.cluster_meeting" and u.slots == {"cluster": 3}
