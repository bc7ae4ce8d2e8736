"""Filing by chat: binding first without losing the text, category correction, photos and
location attached during or right after filing, an image that starts a request."""
from __future__ import annotations

from sqlalchemy import select

from models.complaints import Complaint
from models.db import transaction
from models.resident import Resident
from tests import factories as f
from tests.complaints.conftest import World


def _only(world: World) -> Complaint:
    with world.app.extensions["linli"].factory() as s:
        return s.scalars(select(Complaint)).one()


def _image(world: World, openid: str, media: str) -> str:
    side = world.side
    res = side.post(side.fields(openid, "image", MediaId=media, PicUrl=f"http://img/{media}.jpg"))
    return (side.reply_of(res) or {}).get("Content", "")


def _location(world: World, openid: str, label: str) -> str:
    side = world.side
    res = side.post(side.fields(openid, "location", Location_X=31.57, Location_Y=120.30,
                                Scale=15, Label=label))
    return (side.reply_of(res) or {}).get("Content", "")


def test_unbound_resident_binds_first_and_the_text_is_kept(world: World) -> None:
    world.talk("o-new").run([
        ("楼道灯坏了三天了没人修", ["先记下了", "楼道灯坏了三天了没人修", "绑定", "回复 1 提交"]),
        ("1", ["还没有绑定成功", "绑定 3号楼2单元301"]),
        ("我的诉求", "绑定"),
    ])
    with transaction(world.app.extensions["linli"].factory) as s:
        h = f.household(s, room="401")
        f.resident(s, "o-new", h, name="新住户")       # what a successful 绑定 does
    world.talk("o-new").run([("1", ["已收到您的诉求", "TS20261127-0001", "设施报修"])])
    c = _only(world)
    assert c.text == "楼道灯坏了三天了没人修" and c.openid == "o-new"


def _roster(world: World, room: str, name: str, last4: str) -> None:
    from models.people import RosterEntry

    with transaction(world.app.extensions["linli"].factory) as s:
        h = f.household(s, room=room)
        s.add(RosterEntry(household_id=h.id, name=name, phone_last4=last4, identity="业主"))


def test_binding_in_one_message_keeps_the_request(world: World) -> None:
    _roster(world, "401", "赵六", "5678")
    world.talk("o-new").run([
        ("楼道灯坏了三天了没人修", ["先记下了", "绑定"]),
        ("绑定 3号楼2单元401 赵六 5678", ["绑定成功", "回复 1 提交您刚才反映的问题", "楼道灯坏了三天了没人修"]),
        ("1", ["已收到您的诉求", "TS20261127-0001"]),
    ])
    assert _only(world).text == "楼道灯坏了三天了没人修"


def test_binding_step_by_step_keeps_the_request(world: World) -> None:
    _roster(world, "401", "赵六", "5678")
    world.talk("o-new").run([
        ("诉求 门口的路灯不亮", ["先记下了", "绑定"]),
        ("绑定", "住址"),
        ("3号楼2单元401", "姓名"),
        ("赵六", "后四位"),
        ("5678", ["绑定成功", "回复 1 提交", "门口的路灯不亮"]),
        ("1", ["已收到您的诉求"]),
    ])
    assert _only(world).text == "门口的路灯不亮"


def test_pending_resident_is_told_to_wait(world: World) -> None:
    with transaction(world.app.extensions["linli"].factory) as s:
        r = s.scalars(select(Resident).where(Resident.openid == "o-new")).one()
        r.status, r.household_id = "pending", f.household(s, room="402").id
    world.talk("o-new").run([("诉求 楼道灯坏了", "审核中"), ("1", "审核中")])
    with world.app.extensions["linli"].factory() as s:
        assert s.scalars(select(Complaint)).all() == []


def test_category_can_be_corrected(world: World) -> None:
    world.talk("o-a").run([
        ("晚上楼下广场舞太吵了", ["噪音扰民", "回复 2 换个类别"]),
        ("2", ["请选择类别", "1. 设施报修", "9. 其他"]),
        ("6", ["类别已改为：安全隐患"]),
    ])
    assert _only(world).category == "safety"


def test_bare_keyword_asks_what_the_problem_is(world: World) -> None:
    world.talk("o-a").run([
        ("报修", "说说是什么问题"),
        ("厨房外面的下水管堵了", ["已收到您的诉求", "TS20261127-0001"]),
    ])
    assert _only(world).text == "厨房外面的下水管堵了"


def test_photos_and_location_attach_to_the_request_just_filed(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼门口的井盖松了"))
    assert f"照片已添加到诉求 {t}" in _image(world, "o-a", "m1")
    world.later(minutes=5)
    assert "照片已添加" in _image(world, "o-a", "m2")
    assert f"位置已添加到诉求 {t}" in _location(world, "o-a", "黄巷新村3号楼")
    c = _only(world)
    assert [p["media_id"] for p in c.photos] == ["m1", "m2"]
    assert c.location["label"] == "黄巷新村3号楼"
    world.later(minutes=11)       # too late: a new photo starts a new request
    assert "请再用文字说说是什么问题" in _image(world, "o-a", "m3")


def test_an_image_starts_a_request(world: World) -> None:
    assert "请再用文字说说是什么问题" in _image(world, "o-c", "p1")
    assert "收到位置" in _location(world, "o-c", "5号楼")
    world.talk("o-c").run([("5号楼门口路灯不亮", ["已收到您的诉求"])])
    c = _only(world)
    assert c.photos[0]["media_id"] == "p1" and c.location["label"] == "5号楼"
    assert c.text == "5号楼门口路灯不亮"


def test_free_text_rating_is_confirmed_and_closes(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.talk("o-a").run([("问题解决了，很满意", "没有等待评价的问题")])
    world.say("o-grid", f"受理 {t}")
    world.talk("o-a").run([("问题解决了，很满意", "办结后才能评价")])
    world.say("o-grid", f"办结 {t} 换了灯泡")
    world.talk("o-a").run([
        ("问题解决了，很满意", ["您是要", t, "5 分", "回复 1 确认"]),
        ("1", ["谢谢您的评价（5分）"]),
    ])
    c = _only(world)
    assert (c.state, c.rating) == ("closed", 5)


def test_declined_rating_changes_nothing(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.say("o-grid", f"受理 {t}")
    world.say("o-grid", f"办结 {t} 换了灯泡")
    world.talk("o-a").run([("挺满意的", "您是要"), ("2", "没有办理")])
    assert _only(world).state == "resolved"
    world.talk("o-a").run([("没修好", ["您是要重新打开", t]), ("取消", "没有办理")])
    assert _only(world).state == "resolved"


def test_rating_asks_for_a_score_when_none_is_given(world: World) -> None:
    t = world.ticket_of(world.say("o-a", "诉求 3号楼楼道灯坏了"))
    world.say("o-grid", f"受理 {t}")
    world.say("o-grid", f"办结 {t} 换了灯泡")
    world.talk("o-a").run([
        (f"评价 {t}", "回复 1-5"),
        ("7", "1 到 5 之间"),
        ("3", "谢谢您的评价（3分）"),
    ])
    assert _only(world).rating == 3


def test_the_menu_starts_filing(world: World) -> None:
    import re

    menu = world.say("o-a", "帮助")
    number = re.search(r"(\d+)\. 反映问题", menu)
    assert number and "我的诉求" in menu, menu
    world.talk("o-a").run([
        (number.group(1), "说说是什么问题"),
        ("单元门的门禁坏了", ["已收到您的诉求", "TS20261127-0001"]),
    ])
