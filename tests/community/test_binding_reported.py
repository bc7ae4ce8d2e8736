"""Binding problems an exploratory tester met: a name read as 的李强, a shared room number
asked about although name and phone settle it, 3栋2-301 not read, and a resident who
re-follows told to bind again."""
from __future__ import annotations

from typing import Any

import pytest

from models.people import BindAttempt, BindingRequest
from tests.community.helpers import count, resident
from tests.wechat_side import Transcript, WeChatSide

LABEL_302 = "黄巷新村3号楼2单元302室"


@pytest.mark.parametrize("said", ["我是3栋2单元302的李强，手机尾号2222",
                                  "3栋2单元302的李强 2222",
                                  "绑定 3号楼2单元302 的李强 2222"])
def test_a_name_after_the_address_binds_without_the_particle(app: Any, side: WeChatSide,
                                                               said: str) -> None:
    Transcript(side, "o-lq").run([
        (said, ["绑定成功", LABEL_302, "!的李强", "!待审核"]),
        ("我的信息", ["姓名：李强", "已认证"]),
    ])
    assert resident(app, "o-lq").name == "李强"


def test_a_shared_room_number_is_settled_by_name_and_phone(app: Any, side: WeChatSide) -> None:
    # 1号楼1单元101 is in both 东园 (周杰 5555) and 黄巷新村 (陈晨 6666).
    Transcript(side, "o-cc").run([
        ("绑定 1号楼1单元101 陈晨 6666", ["绑定成功", "黄巷新村1号楼1单元101室", "!东园", "!哪一户"]),
    ])
    Transcript(side, "o-zj").run([
        ("绑定 1号楼1单元101 周杰 5555", ["绑定成功", "东园1号楼1单元101室", "!黄巷新村"]),
    ])
    assert resident(app, "o-cc").verified and resident(app, "o-zj").verified
    assert count(app, BindingRequest) == 0


def test_a_shared_room_number_with_no_roster_match_still_asks_which(app: Any, side: WeChatSide) -> None:
    Transcript(side, "o-x").run([
        ("绑定 1号楼1单元101 陈晨 0000", ["哪一户", "1. ", "2. ", "东园", "黄巷新村"]),
        ("2", "待审核"),
    ])
    # The probe of both households counts against guessing, as two wrong binds would.
    assert count(app, BindAttempt) == 3 and count(app, BindingRequest) == 1


@pytest.mark.parametrize("address", ["3栋2-301", "3号楼2-301", "3#2-301", "3幢2-301", "3栋2—301室"])
def test_building_then_unit_dash_room_is_read(app: Any, side: WeChatSide, address: str) -> None:
    Transcript(side, "o-d").run([
        (f"绑定 {address} 张伟 5678", ["绑定成功", "黄巷新村3号楼2单元301室", "!没有找到"]),
    ])


def test_a_bound_resident_who_follows_again_is_welcomed_back_with_the_address(
        app: Any, side: WeChatSide) -> None:
    Transcript(side, "o-back").run([("绑定 3号楼2单元301 张伟 5678", "绑定成功")])
    assert side.event("o-back", "unsubscribe") == ""
    welcome = side.event("o-back", "subscribe")
    assert "欢迎回来" in welcome and "黄巷新村3号楼2单元301室" in welcome
    assert "先绑定住址" not in welcome
    # Someone new still learns how to bind; a pending one is told it is being reviewed.
    assert "先绑定住址" in side.event("o-new", "subscribe")
    Transcript(side, "o-wait").run([("绑定 3号楼2单元301 张三 0000", "待审核")])
    side.event("o-wait", "unsubscribe")
    again = side.event("o-wait", "subscribe")
    assert "审核" in again and "黄巷新村3号楼2单元301室" in again and "先绑定住址" not in again
