"""Fixtures of the community tests."""
from __future__ import annotations

from typing import Any

import pytest

from tests.community.helpers import load_roster
from tests.wechat_side import WeChatSide


@pytest.fixture
def side(app: Any, wechat: WeChatSide) -> WeChatSide:
    """WeChat's side of an app whose database holds the small roster."""
    load_roster(app)
    return wechat
