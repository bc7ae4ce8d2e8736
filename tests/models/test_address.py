"""The one address parser: every way residents write a household or a scope."""

from __future__ import annotations

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.address import Address, AddressError, find_address, parse_address, to_int

HOUSEHOLD = Address(None, "3", "2", "301")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("3号楼2单元301", "the canonical form"),
        ("3号楼2单元301室", "with 室"),
        ("三号楼二单元301室", "Chinese numerals for building and unit"),
        ("三号楼二单元三零一", "voice recognition reads the room digit by digit"),
        ("三号楼二单元三百零一", "the room read as a number"),
        ("3-2-301", "dashes, as on parcels"),
        ("3—2—301", "long dashes from a Chinese keyboard"),
        ("3 - 2 - 301", "spaced dashes"),
        ("3栋2单元301", "栋 for 楼"),
        ("3幢2单元301", "幢 for 楼"),
        ("3座2单元301", "座 for 楼"),
        ("3#楼2单元301", "# for 号"),
        ("3号楼2门301", "门 for 单元"),
        ("3号楼2楼道301", "楼道 for 单元"),
        ("3号2单元301", "号 alone, when a unit follows"),
        ("３号楼２单元３０１", "full-width digits"),
        ("3号楼2单元0301", "a leading zero"),
        ("3号楼 2单元 301", "spaces between the parts"),
        ("3号楼2单元301号", "号 after the room"),
        ("3号楼2单元三0一", "mixed digits"),
    ],
)
def test_one_household_many_ways(text: str, why: str) -> None:
    assert parse_address(text) == HOUSEHOLD, why


@pytest.mark.parametrize(
    ("text", "expected", "label", "level"),
    [
        ("十号楼一单元五零一", Address(None, "10", "1", "501"), "10号楼1单元501室", "room"),
        ("十二号楼三单元幺零二", Address(None, "12", "3", "102"), "12号楼3单元102室", "room"),
        ("二十三栋两单元801", Address(None, "23", "2", "801"), "23号楼2单元801室", "room"),
        ("黄巷新村3号楼2单元301", Address("黄巷新村", "3", "2", "301"), "黄巷新村3号楼2单元301室", "room"),
        ("黄巷新村3-2-301", Address("黄巷新村", "3", "2", "301"), "黄巷新村3号楼2单元301室", "room"),
        ("3号楼301", Address(None, "3", None, "301"), "3号楼301室", "room"),
        ("3号楼2单元301A", Address(None, "3", "2", "301A"), "3号楼2单元301A室", "room"),
        ("3号楼2单元b1", Address(None, "3", "2", "B1"), "3号楼2单元B1室", "room"),
        ("3号楼2单元", Address(None, "3", "2", None), "3号楼2单元", "unit"),
        ("3-2", Address(None, "3", "2", None), "3号楼2单元", "unit"),
        ("3号楼", Address(None, "3", None, None), "3号楼", "building"),
        ("三栋", Address(None, "3", None, None), "3号楼", "building"),
        ("黄巷新村3号楼", Address("黄巷新村", "3", None, None), "黄巷新村3号楼", "building"),
        ("黄巷新村", Address("黄巷新村", None, None, None), "黄巷新村", "point"),
        ("梧桐苑", Address("梧桐苑", None, None, None), "梧桐苑", "point"),
    ],
)
def test_forms_scopes_labels_and_levels(text: str, expected: Address, label: str, level: str) -> None:
    address = parse_address(text)
    assert address == expected
    assert address.label == label
    assert address.level == level


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "地址是空的"),
        ("   ", "地址是空的"),
        ("2单元301", "缺少楼号"),
        ("301", "只有数字"),
        ("3楼", "像是楼层"),
        ("3号楼0单元301", "单元号不能是 0"),
        ("0号楼2单元301", "楼号不能是 0"),
        ("3号楼2单元1234567", "太长"),
        ("3-2-301-5", "没看懂地址"),
        ("你好", "没看懂地址"),
        ("楼道灯坏了", "没看懂地址"),
        ("3号301", "没看懂地址"),
    ],
)
def test_bad_forms_say_why(text: str, reason: str) -> None:
    with pytest.raises(AddressError) as caught:
        parse_address(text)
    assert reason in caught.value.message
    assert "3号楼2单元301" in caught.value.message, "the error shows the form to follow"


@pytest.mark.parametrize(
    ("sentence", "label", "found_text"),
    [
        ("我住三号楼二单元301，叫张三", "3号楼2单元301室", "三号楼二单元301"),
        ("你好我是住在黄巷新村3号楼2单元301的", "黄巷新村3号楼2单元301室", "黄巷新村3号楼2单元301"),
        ("楼道灯坏了 3-2-301", "3号楼2单元301室", "3-2-301"),
        ("3号楼2单元的楼道灯不亮了", "3号楼2单元", "3号楼2单元"),
        ("我们这里3号楼门口有垃圾", "3号楼", "3号楼"),
        ("幸福家园5栋1单元202室门口", "幸福家园5号楼1单元202室", "幸福家园5栋1单元202室"),
        ("我要绑定房子黄巷新村8号楼3单元402", "黄巷新村8号楼3单元402室", "黄巷新村8号楼3单元402"),
        ("我住３号楼２单元３０１", "3号楼2单元301室", "３号楼２单元３０１"),
    ],
)
def test_find_address_in_a_sentence(sentence: str, label: str, found_text: str) -> None:
    found = find_address(sentence)
    assert found is not None
    address, start, end = found
    assert address.label == label
    assert sentence[start:end] == found_text


@pytest.mark.parametrize(
    "sentence",
    ["TS20261127-0012", "2026-11-27 开会", "报名3号", "我家在3楼", "周三下午3点", "楼道灯坏了", ""],
)
def test_find_address_ignores_what_is_not_an_address(sentence: str) -> None:
    assert find_address(sentence) is None


def test_as_dict_is_what_the_nlu_puts_in_slots() -> None:
    assert parse_address("黄巷新村3-2-301").as_dict() == {
        "point": "黄巷新村", "building": "3", "unit": "2", "room": "301", "label": "黄巷新村3号楼2单元301室",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("token", "value"),
    [("3", 3), ("十", 10), ("十二", 12), ("二十三", 23), ("三百零一", 301), ("五零一", 501), ("幺", 1), ("两", 2)],
)
def test_to_int(token: str, value: int) -> None:
    assert to_int(token) == value


@pytest.mark.parametrize("token", ["", "abc", "三楼", "1.5"])
def test_to_int_refuses_non_numbers(token: str) -> None:
    with pytest.raises(ValueError):
        to_int(token)


_CN = "零一二三四五六七八九"


# No deadline: the first example pays for loading cn2an, and CI machines are shared.
@settings(deadline=None)
@given(
    building=st.integers(1, 99),
    unit=st.integers(1, 9),
    room=st.integers(101, 3999),
    style=st.sampled_from(["marked", "dashed", "chinese", "spoken"]),
)
def test_every_style_round_trips(building: int, unit: int, room: int, style: str) -> None:
    if style == "marked":
        text = f"{building}号楼{unit}单元{room}室"
    elif style == "dashed":
        text = f"{building}-{unit}-{room}"
    elif style == "chinese":
        text = f"{cn2an.an2cn(building)}栋{cn2an.an2cn(unit)}单元{room}"
    else:
        text = f"{cn2an.an2cn(building)}号楼{cn2an.an2cn(unit)}单元" + "".join(_CN[int(d)] for d in str(room))
    address = parse_address(text)
    assert (address.building, address.unit, address.room) == (str(building), str(unit), str(room))
    assert parse_address(address.label) == address


@settings(deadline=None)
@given(st.text(max_size=30))
def test_never_crashes(text: str) -> None:
    try:
        address = parse_address(text)
    except AddressError as error:
        assert error.message
    else:
        assert address.label
    find_address(text)
