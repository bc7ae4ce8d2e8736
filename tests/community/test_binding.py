"""Binding by chat, as residents and staff meet it: roster match, mismatch → pending →
staff decision pushed, unknown household, pieces asked for, rate limit, profile, unbind,
and staff commands refused to residents."""
from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models.base import utcnow
from models.people import BindAttempt, BindingRequest
from models.resident import Resident
from tests.community.helpers import add_staff, count, load_roster, pushes, resident
from tests.wechat_side import Transcript, WeChatSide

LABEL = "黄巷新村3号楼2单元301室"


def wait_for_pushes(app: Any, openid: str, timeout: float = 10.0) -> list[str]:
    """Pushes go out in the background after the staff's message commits."""
    deadline = time.monotonic() + timeout
    while True:
        app.extensions["linli"].service.wait_idle()
        got = pushes(app, openid)
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def test_roster_match_binds_and_verifies_at_once(app: Any, side: WeChatSide) -> None:
    Transcript(side, "o-zw").run([
        ("绑定 3号楼2单元301 张伟 5678", ["绑定成功", LABEL, "表决", "!待审核"]),
        ("我的信息", ["张伟", LABEL, "已认证", "138****5678", "!13812345678", "解绑"]),
        ("绑定 3号楼2单元301 张伟 5678", ["已绑定", "解绑"]),
    ])
    r = resident(app, "o-zw")
    assert r is not None and r.verified and r.name == "张伟"
    assert count(app, BindingRequest) == 0


@pytest.mark.parametrize("said", ["我住三号楼二单元301，叫张伟，手机尾号5678",
                                  "绑定 黄巷新村3-2-301 张伟 5678",
                                  "绑定 3栋2单元301室 张伟 13812345678"])
def test_free_text_and_other_address_forms_bind_too(app: Any, side: WeChatSide, said: str) -> None:
    Transcript(side, "o-free").run([(said, ["绑定成功", LABEL])])
    assert resident(app, "o-free").verified


def test_several_residents_share_one_household(app: Any, side: WeChatSide) -> None:
    Transcript(side, "o-a").run([("绑定 3号楼2单元301 张伟 5678", "绑定成功")])
    Transcript(side, "o-b").run([("绑定 3号楼2单元301 王芳 1111", "绑定成功")])
    a, b = resident(app, "o-a"), resident(app, "o-b")
    assert a.household_id == b.household_id and a.verified and b.verified


def test_mismatch_is_pending_until_staff_approve_and_the_resident_is_told(live: Any) -> None:
    srv = live()
    load_roster(srv.app)
    add_staff(srv.app, "o-staff", "网格员")
    side = WeChatSide(srv.app, client=srv.app.test_client())
    res, staff = Transcript(side, "o-new"), Transcript(side, "o-staff")
    staff.run([("你好", "您好")])   # opens the 48 h window, so the push arrives by chat
    res.run([("绑定 3号楼2单元301 张小伟 4321", ["待审核", "工作人员", LABEL, "!绑定成功"]),
             ("我的信息", ["张小伟", "待审核", "尾号4321"])])
    assert resident(srv.app, "o-new").status == "pending"
    told = wait_for_pushes(srv.app, "o-staff")
    assert len(told) == 1 and "新的绑定申请" in told[0] and "张小伟" in told[0]
    staff.run([
        ("审核", ["共 1 条", "1. " + LABEL, "张小伟", "尾号4321", "张伟 138****5678", "通过 1", "拒绝 1"]),
        ("通过 1", ["已通过第 1 条", "张小伟", "已通知", "都处理完了"]),
    ])
    r = resident(srv.app, "o-new")
    assert r.verified and r.name == "张小伟"
    got = wait_for_pushes(srv.app, "o-new")
    assert len(got) == 1 and "已通过" in got[0] and LABEL in got[0]
    staff.run([("审核", "没有待审核")])


def test_staff_reject_with_a_reason_unbinds_and_tells_the_resident(live: Any) -> None:
    srv = live()
    load_roster(srv.app)
    add_staff(srv.app, "o-staff", "社工")
    side = WeChatSide(srv.app, client=srv.app.test_client())
    Transcript(side, "o-x").run([("绑定 3号楼2单元302 王五 1234", "待审核")])
    Transcript(side, "o-y").run([("绑定 5号楼1单元501 赵六 9999", "待审核")])
    Transcript(side, "o-staff").run([
        ("审核", ["共 2 条", "1. 黄巷新村3号楼2单元302室", "2. 黄巷新村5号楼1单元501室"]),
        ("拒绝 2 不是本户居民", ["已拒绝第 2 条", "不是本户居民", "还有 1 条"]),
        ("拒绝 2", "已经处理过了"),
        ("通过 9", "没有第 9 条"),
    ])
    y = resident(srv.app, "o-y")
    assert y.status == "unbound" and y.household_id is None
    assert resident(srv.app, "o-x").status == "pending"
    got = wait_for_pushes(srv.app, "o-y")
    assert len(got) == 1 and "没有通过" in got[0] and "不是本户居民" in got[0]


def test_staff_only_see_requests_inside_their_scope(app: Any, side: WeChatSide) -> None:
    from models.db import transaction
    from models.people import Staff
    from tests.factories import community  # noqa: F401 - the community exists from the roster

    with transaction(app.extensions["linli"].factory) as s:
        from models.community import Place
        east = s.scalars(select(Place).where(Place.kind == "point", Place.name == "东园")).one()
        s.add(Staff(openid="o-east", name="东园网格员", role="网格员", scope_kind="point", scope_id=east.id))
    Transcript(side, "o-p").run([("绑定 3号楼2单元301 路人 0000", "待审核")])
    Transcript(side, "o-east").run([("审核", "没有待审核")])
    with app.extensions["linli"].factory() as s:
        from models.delivery import Delivery
        assert s.scalars(select(Delivery).where(Delivery.openid == "o-east")).first() is None


def test_unknown_household_is_explained_and_nothing_is_stored(app: Any, side: WeChatSide) -> None:
    Transcript(side, "o-lost").run([
        ("绑定 9号楼9单元909 张伟 5678", ["没有找到", "9号楼9单元909室", "绑定 3号楼2单元301 张三 5678"]),
    ])
    assert count(app, BindingRequest) == 0 and count(app, BindAttempt) == 0
    assert resident(app, "o-lost").status == "unbound"


def test_missing_pieces_are_asked_for_and_kept(app: Any, side: WeChatSide) -> None:
    Transcript(side, "o-ask").run([
        ("绑定", ["住址", "3号楼2单元301"]),
        ("asdfgh", ["没看懂", "住址"]),
        ("三号楼二单元301", "姓名"),
        ("张伟", "后四位"),
        ("5678", ["绑定成功", LABEL]),
    ])
    Transcript(side, "o-ask2").run([
        ("我住3号楼2单元301", "姓名"),
        ("我叫王芳", "后四位"),
        ("取消", "已取消"),
        ("1111", "!绑定成功"),
    ])
    assert resident(app, "o-ask2").status == "unbound"
    Transcript(side, "o-ask3").run([
        ("绑定 张伟 5678", "住址"),
        ("3号楼", ["室号"]),
        ("3号楼2单元301", ["绑定成功"]),
    ])


def test_repeated_wrong_guesses_for_a_household_are_refused_for_an_hour(app: Any, side: WeChatSide) -> None:
    service = app.extensions["linli"].service
    start = utcnow()
    service.clock = lambda: start
    for i in range(5):
        Transcript(side, f"o-guess{i}").run([(f"绑定 3号楼2单元301 张伟 {1000 + i}", "待审核")])
    # Even the right person is refused now: the household is protected for an hour.
    Transcript(side, "o-real").run([("绑定 3号楼2单元301 张伟 5678", ["次数太多", "一小时后", "!绑定成功"])])
    assert resident(app, "o-real").status == "unbound"
    service.clock = lambda: start + timedelta(minutes=61)
    Transcript(side, "o-real").run([("绑定 3号楼2单元301 张伟 5678", "绑定成功")])


def test_one_person_guessing_many_households_is_refused(app: Any, side: WeChatSide) -> None:
    rooms = ["3号楼2单元301", "3号楼2单元302", "3号楼1单元101", "5号楼1单元501", "东园1号楼1单元101"]
    talk = Transcript(side, "o-prober")
    for room in rooms:
        talk.run([(f"绑定 {room} 某某 0000", "待审核")])
    talk.run([("绑定 黄巷新村1号楼1单元101 陈晨 6666", "次数太多")])
    assert count(app, BindAttempt) == 5


def test_unbind_removes_the_binding(app: Any, side: WeChatSide) -> None:
    Transcript(side, "o-ub").run([
        ("绑定 3号楼2单元301 张伟 5678", "绑定成功"),
        ("解绑", ["已解除绑定", LABEL]),
        ("我的信息", "还没有绑定"),
        ("解绑", "还没有绑定"),
    ])
    r = resident(app, "o-ub")
    assert r.status == "unbound" and r.household_id is None


def test_unbind_in_free_text_is_confirmed_first(app: Any, side: WeChatSide) -> None:
    Transcript(side, "o-ub2").run([
        ("绑定 3号楼2单元301 张伟 5678", "绑定成功"),
        ("我要解除绑定", ["解除住址绑定", "回复 1 确认"]),
        ("2", "没有办理"),
        ("我的信息", "已认证"),
        ("我要解除绑定", "回复 1 确认"),
        ("1", "已解除绑定"),
    ])
    assert resident(app, "o-ub2").status == "unbound"


def test_a_pending_resident_can_withdraw_by_unbinding(app: Any, side: WeChatSide) -> None:
    Transcript(side, "o-pw").run([("绑定 3号楼2单元301 某人 0000", "待审核"), ("解绑", "已解除绑定")])
    with app.extensions["linli"].factory() as s:
        assert s.scalars(select(BindingRequest.status)).one() == "withdrawn"


def test_resident_sending_a_staff_command_is_refused(app: Any, side: WeChatSide) -> None:
    Transcript(side, "o-res").run([
        ("绑定 3号楼2单元301 张伟 5678", "绑定成功"),
        ("审核", ["需要工作人员权限", "!待审核的绑定申请"]),
    ])


def test_profile_of_an_unbound_resident_says_how_to_bind(side: WeChatSide) -> None:
    Transcript(side, "o-none").run([("我的信息", ["还没有绑定", "绑定 3号楼2单元301 张三 5678"])])


def test_two_staff_deciding_the_same_request_at_once_only_one_wins(make_app: Any) -> None:
    import threading

    from models.db import transaction
    from models.people import Staff, decide

    apps = [make_app(), make_app()]          # two worker processes on one database
    load_roster(apps[0])
    add_staff(apps[0], "o-s1", "社工")
    add_staff(apps[0], "o-s2", "社工", name="王社工")
    Transcript(WeChatSide(apps[0]), "o-race").run([("绑定 3号楼2单元301 某某 0000", "待审核")])
    with apps[0].extensions["linli"].factory() as s:
        request_id = s.scalars(select(BindingRequest.id)).one()
    barrier, results = threading.Barrier(2), {}

    def worker(app: Any, openid: str, approve: bool) -> None:
        barrier.wait()
        with transaction(app.extensions["linli"].factory) as s:
            st = s.scalars(select(Staff).where(Staff.openid == openid)).one()
            got = decide(s, request_id, st, approve, None if approve else "不是本户", utcnow())
            time.sleep(0.2)                  # hold the transaction open so the two overlap
        results[openid] = got is not None

    threads = [threading.Thread(target=worker, args=(apps[0], "o-s1", True)),
               threading.Thread(target=worker, args=(apps[1], "o-s2", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == [False, True]
    with apps[0].extensions["linli"].factory() as s:
        req = s.get(BindingRequest, request_id)
        r = s.scalars(select(Resident).where(Resident.openid == "o-race")).one()
        assert (req.status == "approved") == r.verified
        assert (req.status == "rejected") == (r.status == "unbound")


def test_staff_may_decide_without_opening_the_review_list(app: Any, side: WeChatSide) -> None:
    load_roster(app)
    add_staff(app, "o-staff2", "网格员")
    Transcript(side, "o-new2").run([("绑定 3号楼2单元301 张小伟 4321", "待审核")])
    Transcript(side, "o-staff2").run([("拒绝 1 不是本户", ["已拒绝第 1 条", "张小伟"])])
    assert resident(app, "o-new2").status != "verified"
    Transcript(side, "o-new3").run([("通过 1", ["需要工作人员权限"])])
