"""One Official Account per community beside the deployment's own: each community account
has its webhook /wechat/<app_id>, its keys, its residents, its access token and templates,
and every push to its residents goes out through it (checked on the stand-in WeChat API's
record, over real HTTP)."""
from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from sqlalchemy import select

from models.community import BUILDING, POINT, UNIT, Community, Household, Place
from models.db import transaction
from models.delivery import Delivery
from models.people import RosterEntry, Staff
from models.resident import Resident
from models.sandbox import SandboxMessage
from models.wechat import AccessToken
from notices import deliver
from notices.client import WeChatApiError
from settings import ConfigError, load_settings
from tests.community.helpers import load_roster
from tests.conftest import AES_KEY
from tests.wechat_side import WeChatSide, wx_sign, xml_of

A_APP = "wxtest000000000001"          # the deployment's own account (tests/conftest.py)
B_APP = "wxliangxi000000002"
B_AES = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM"   # 32 bytes, not A's key
B_ROOM = "清名新村1号楼1单元101室"
A_ROOM = "黄巷新村3号楼2单元301室"


def account_b(**over: Any) -> dict[str, Any]:
    return {"community": "梁溪社区", "app_id": B_APP, "app_secret": "b-secret",
            "token": "b-token", "encoding_aes_key": B_AES, "original_id": "gh_liangxi",
            "templates": {"bulletin": "tpl-b-bulletin"}, **over}


class AccountSide(WeChatSide):
    """WeChat's side of a community account's webhook: its token, key, AppId and gh_ id."""

    def __init__(self, app: Any, account: dict[str, Any], mode: str = "plain", client: Any = None,
                 path: str | None = None):
        super().__init__(app, mode, client)
        self.token, self.app_id = account["token"], account["app_id"]
        self.aes = account.get("encoding_aes_key", "")
        self.to = account.get("original_id") or "gh_community"
        self.path = path or f"/wechat/{account['app_id']}"

    def fields(self, openid: str, msg_type: str, **extra: Any) -> dict[str, Any]:
        return {**super().fields(openid, msg_type, **extra), "ToUserName": self.to}

    def post(self, fields: dict[str, Any], mode: str | None = None, **kw: Any) -> Any:
        query, body = self.request(xml_of(fields), mode, **kw)
        return self.client.post(self.path, query_string=query, data=body, content_type="text/xml")


def add_community_b(app: Any) -> int:
    """梁溪社区 with one household (清名新村1号楼1单元101, 钱多 ****1234) and its grid worker."""
    with transaction(app.extensions["linli"].factory) as s:
        c = Community(name="梁溪社区")
        s.add(c)
        s.flush()
        parent = None
        places = []
        for kind, name, label in ((POINT, "清名新村", "清名新村"), (BUILDING, "1", "清名新村1号楼"),
                                  (UNIT, "1", "清名新村1号楼1单元")):
            parent = Place(community_id=c.id, kind=kind, name=name, label=label,
                           parent_id=parent.id if parent else None)
            s.add(parent)
            s.flush()
            places.append(parent)
        h = Household(community_id=c.id, point_id=places[0].id, building_id=places[1].id,
                      unit_id=places[2].id, room="101", label=B_ROOM)
        s.add(h)
        s.flush()
        s.add(RosterEntry(household_id=h.id, name="钱多", phone_last4="1234",
                          phone_masked="139****1234", identity="业主"))
        s.add(Staff(openid="o-staff-b", name="梁网格", role="网格员", scope_kind="community",
                    scope_id=c.id))
        return c.id


def records(app: Any, openid: str, direction: str = "push") -> list[SandboxMessage]:
    with app.extensions["linli"].factory() as s:
        return list(s.scalars(select(SandboxMessage).where(
            SandboxMessage.openid == openid, SandboxMessage.direction == direction)
            .order_by(SandboxMessage.id)))


def wait_records(app: Any, openid: str, n: int, timeout: float = 10.0) -> list[SandboxMessage]:
    """Pushes go out in the background after the message commits."""
    deadline = time.monotonic() + timeout
    while True:
        app.extensions["linli"].service.wait_idle()
        got = records(app, openid)
        if len(got) >= n or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def resident(app: Any, openid: str) -> Resident:
    with app.extensions["linli"].factory() as s:
        return s.scalars(select(Resident).where(Resident.openid == openid)).one()


def text_of(m: SandboxMessage) -> str:
    if m.api == "custom":
        return str(m.body["text"]["content"])
    return " ".join(str(v["value"]) for v in m.body["data"].values())


def push(app: Any, openid: str, text: str, kind: str) -> None:
    linli = app.extensions["linli"]
    with transaction(linli.factory) as s:
        row = deliver.enqueue(s, openid, text, notice_key=f"t:{openid}:{kind}", kind=kind, urgent=True)
        assert row is not None
        ids = [row.id]
    linli.sender.send_ids(ids)


# A resident of a community account, end to end --------------------------------------------
def test_a_community_accounts_resident_binds_and_every_push_goes_through_that_account(live: Any) -> None:
    srv = live(wechat={"templates": {"binding": "tpl-a-binding"}}, accounts=[account_b()])
    app = srv.app
    load_roster(app)
    add_community_b(app)
    a_side = WeChatSide(app)
    b_side = AccountSide(app, account_b(), mode="safe")

    assert "小助手" in b_side.say("o-staff-b", "你好")   # the grid worker follows B's account
    reply = b_side.say("o-b1", f"绑定 {B_ROOM} 钱多 9999")  # phone does not match: staff review
    assert "待审核" in reply and B_ROOM in reply
    staff_push = wait_records(app, "o-staff-b", 1)
    assert "新的绑定申请" in text_of(staff_push[0])
    assert "1." in b_side.say("o-staff-b", "审核")
    assert "已通过第 1 条" in b_side.say("o-staff-b", "通过 1")
    approved = wait_records(app, "o-b1", 1)
    assert "已通过" in text_of(approved[0]) and B_ROOM in text_of(approved[0])
    # B has no template for binding notices: customer-service messages, through B only
    # (the deployment's binding template belongs to another account).
    assert [(m.app_id, m.api) for m in staff_push + approved] == [(B_APP, "custom")] * 2

    push(app, "o-b1", "停水通知", "bulletin")    # B's own template for bulletins
    template = records(app, "o-b1")[-1]
    assert (template.app_id, template.api, template.body["template_id"]) == (B_APP, "template", "tpl-b-bulletin")

    # A resident of the deployment's account is untouched by all this.
    assert "绑定成功" in a_side.say("o-a1", f"绑定 {A_ROOM} 张伟 5678")
    push(app, "o-a1", "绑定提醒", "binding")
    a_push = records(app, "o-a1")
    assert [(m.app_id, m.api, m.body["template_id"]) for m in a_push] == [(A_APP, "template", "tpl-a-binding")]

    assert resident(app, "o-b1").app_id == B_APP and resident(app, "o-b1").verified
    assert resident(app, "o-a1").app_id is None and resident(app, "o-a1").verified
    counts = requests.get(srv.url + "/sandbox/api/_faults", timeout=5).json()["counts"]
    assert counts[f"token:{B_APP}"] == 1 and counts[f"token:{A_APP}"] == 1   # one token each
    with app.extensions["linli"].factory() as s:
        assert {t.app_id for t in s.scalars(select(AccessToken))} == {A_APP, B_APP}
    health = app.test_client().get("/healthz").json
    assert health["wechat_tokens"][B_APP]["valid"] is True and health["wechat_token"]["valid"] is True


def test_a_late_reply_goes_out_through_the_residents_account(live: Any) -> None:
    from tests.bot.test_service import slow_side_effect
    srv = live(server={"reply_budget_seconds": 0.3}, accounts=[account_b()])
    slow_side_effect(srv.app, 1.0)
    side = AccountSide(srv.app, account_b(), mode="compat")
    assert side.post(side.fields("o-slow-b", "text", Content="帮助")).data == b"success"
    sent = wait_records(srv.app, "o-slow-b", 1)
    assert [(m.app_id, m.api, m.body["text"]["content"]) for m in sent] == [(B_APP, "custom", "慢慢的帮助")]


def test_the_stand_in_refuses_a_push_through_the_wrong_account(live: Any) -> None:
    srv = live(accounts=[account_b()])
    AccountSide(srv.app, account_b()).say("o-b-only", "你好")
    linli = srv.app.extensions["linli"]
    with pytest.raises(WeChatApiError) as err:   # the deployment's client cannot reach B's follower
        linli.api.send_custom("o-b-only", {"msgtype": "text", "text": {"content": "错号"}})
    assert err.value.errcode == 40003
    linli.sender.accounts.get(B_APP).send_custom("o-b-only", {"msgtype": "text", "text": {"content": "对"}})
    assert [m.app_id for m in records(srv.app, "o-b-only")] == [B_APP]


def test_mass_send_goes_through_one_account_and_refuses_a_mix(live: Any) -> None:
    srv = live(accounts=[account_b()])
    b_side, a_side = AccountSide(srv.app, account_b()), WeChatSide(srv.app)
    for openid in ("o-m1", "o-m2"):
        b_side.say(openid, "你好")
    a_side.say("o-ma", "你好")
    sender = srv.app.extensions["linli"].sender
    sender.mass_send(["o-m1", "o-m2"], "群发")
    assert [m.app_id for m in records(srv.app, "o-m1") + records(srv.app, "o-m2")] == [B_APP, B_APP]
    with pytest.raises(WeChatApiError):
        sender.mass_send(["o-m1", "o-ma"], "混在一起")
    assert records(srv.app, "o-ma") == []


def test_a_resident_of_an_account_no_longer_configured_keeps_pushes_in_the_inbox(live: Any) -> None:
    srv = live()
    WeChatSide(srv.app).say("o-gone", "你好")
    with transaction(srv.app.extensions["linli"].factory) as s:
        s.scalars(select(Resident).where(Resident.openid == "o-gone")).one().app_id = "wxremoved00000009"
    push(srv.app, "o-gone", "通知", "notice")
    with srv.app.extensions["linli"].factory() as s:
        d = s.scalars(select(Delivery).where(Delivery.openid == "o-gone")).one()
    assert (d.status, d.channel) == ("deferred", "inbox") and "wxremoved00000009" in (d.errmsg or "")
    assert records(srv.app, "o-gone") == []


# Binding through a community account -------------------------------------------------------
def test_binding_through_b_to_an_a_household_is_refused_politely(make_app: Any) -> None:
    app = make_app(accounts=[account_b()])
    load_roster(app)
    add_community_b(app)
    b_side = AccountSide(app, account_b())
    reply = b_side.say("o-b2", f"绑定 {A_ROOM} 张伟 5678")
    assert "没有找到" in reply and "联系社区工作人员" in reply
    assert resident(app, "o-b2").household_id is None
    assert "绑定成功" in b_side.say("o-b2", f"绑定 {B_ROOM} 钱多 1234")
    # The deployment's account serves every community, as before.
    assert "绑定成功" in WeChatSide(app).say("o-a2", f"绑定 {A_ROOM} 张伟 5678")


def test_an_account_whose_community_has_no_roster_yet_binds_nobody(make_app: Any) -> None:
    app = make_app(accounts=[account_b(community="新建社区")])
    load_roster(app)
    reply = AccountSide(app, account_b()).say("o-b3", f"绑定 {A_ROOM} 张伟 5678")
    assert "没有找到" in reply and resident(app, "o-b3").household_id is None


# The webhook of a community account ----------------------------------------------------------
@pytest.mark.parametrize("mode", ["plain", "compat", "safe"])
def test_a_community_account_answers_in_every_mode(make_app: Any, mode: str) -> None:
    app = make_app(wechat={"encoding_aes_key": AES_KEY}, accounts=[account_b()])
    side = AccountSide(app, account_b(), mode=mode)
    reply = side.reply_of(side.post(side.fields("o-modes-b", "text", Content="帮助")))
    assert reply is not None and reply["ToUserName"] == "o-modes-b"
    assert reply["FromUserName"] == "gh_liangxi" and "1." in reply["Content"]
    assert resident(app, "o-modes-b").app_id == B_APP


def test_the_same_msgid_on_two_accounts_is_two_messages(make_app: Any) -> None:
    """MsgIds are unique only within one account: B's message must not be taken for a retry
    of A's message with the same id."""
    app = make_app(accounts=[account_b()])
    a, b = WeChatSide(app), AccountSide(app, account_b())
    ra = a.reply_of(a.post(a.fields("o-same-a", "text", Content="帮助", MsgId=777000111)))
    rb = b.reply_of(b.post(b.fields("o-same-b", "text", Content="你好", MsgId=777000111)))
    assert ra is not None and rb is not None
    assert rb["ToUserName"] == "o-same-b" and rb["Content"] != ra["Content"]
    with app.extensions["linli"].factory() as s:
        assert s.scalars(select(Resident).where(Resident.openid == "o-same-b")).first() is not None


@pytest.mark.parametrize("mode", ["plain", "compat", "safe"])
def test_a_message_to_b_signed_with_as_keys_is_refused(make_app: Any, mode: str) -> None:
    app = make_app(wechat={"encoding_aes_key": AES_KEY}, accounts=[account_b()])
    a_keys = {"app_id": A_APP, "token": "test-token", "encoding_aes_key": AES_KEY,
              "original_id": "gh_liangxi"}
    forged = AccountSide(app, a_keys, mode=mode, path=f"/wechat/{B_APP}")
    assert forged.post(forged.fields("o-forged-b", "text", Content="帮助")).status_code == 403
    # and B's keys at the deployment's webhook
    wrong = AccountSide(app, account_b(), mode=mode, path="/wechat")
    assert wrong.post(wrong.fields("o-forged-b", "text", Content="帮助")).status_code == 403
    with app.extensions["linli"].factory() as s:
        assert s.scalars(select(Resident).where(Resident.openid == "o-forged-b")).first() is None


def test_a_message_for_another_account_is_refused_even_with_bs_token(make_app: Any) -> None:
    app = make_app(accounts=[account_b()])
    side = AccountSide(app, account_b(), mode="safe")
    query, body = side.request(xml_of(side.fields("o-x", "text", Content="hi")), app_id=A_APP)
    assert app.test_client().post(f"/wechat/{B_APP}", query_string=query, data=body).status_code == 403
    plain = AccountSide(app, account_b())   # plaintext addressed to another account's gh_ id
    fields = {**plain.fields("o-x", "text", Content="hi"), "ToUserName": "gh_community"}
    assert plain.post(fields).status_code == 403


def test_an_unknown_account_is_404(make_app: Any) -> None:
    app = make_app(accounts=[account_b()])
    side = AccountSide(app, account_b(), path="/wechat/wxnosuchaccount0001")
    assert side.post(side.fields("o-404", "text", Content="hi")).status_code == 404
    ts, nonce = "1409304348", "xyz"
    res = app.test_client().get("/wechat/wxnosuchaccount0001", query_string={
        "signature": wx_sign("b-token", ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "e"})
    assert res.status_code == 404


def test_url_verification_per_account(make_app: Any) -> None:
    app = make_app(accounts=[account_b()])
    ts, nonce = "1409304348", "xyz"

    def verify(path: str, token: str) -> Any:
        return app.test_client().get(path, query_string={
            "signature": wx_sign(token, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "echo-b"})

    ok = verify(f"/wechat/{B_APP}", "b-token")
    assert ok.status_code == 200 and ok.data == b"echo-b"
    assert verify(f"/wechat/{B_APP}", "test-token").status_code == 403
    assert verify("/wechat", "b-token").status_code == 403
    assert verify("/wechat", "test-token").data == b"echo-b"


# Configuration ---------------------------------------------------------------------------------
BASE = {"database": {"url": "sqlite://"}, "wechat": {"app_id": A_APP, "token": "t", "app_secret": "s"}}


def settings_with(accounts: Any, environ: dict[str, str] | None = None) -> Any:
    return load_settings({**BASE, "accounts": accounts}, environ=environ or {})


def test_accounts_are_optional_and_typed() -> None:
    assert load_settings(BASE, environ={}).accounts == ()
    s = settings_with([account_b()])
    assert s.account(B_APP) is not None and s.account(B_APP).templates == {"bulletin": "tpl-b-bulletin"}
    assert s.account(A_APP) is None and s.account("nope") is None


def entry(**over: Any) -> dict[str, Any]:
    return {k: v for k, v in account_b(**over).items() if v is not None}


@pytest.mark.parametrize("accounts,key", [
    ("wx1", "accounts must be a list"),
    (["wx1"], "accounts[0] must be a mapping"),
    ([entry(token=None)], "accounts[0].token is missing"),
    ([entry(community=None)], "accounts[0].community is missing"),
    ([entry(app_secret="")], "accounts[0].app_secret must not be empty"),
    ([entry(colour="red")], "accounts[0].colour is not a setting"),
    ([entry(encoding_aes_key="short")], "accounts[0].encoding_aes_key"),
    ([entry(app_id="wx/../x")], "accounts[0].app_id must be"),
    ([entry(app_id=A_APP)], "accounts[0].app_id " + A_APP + " is the deployment's own wechat.app_id"),
    ([entry(), entry(community="别的社区")], "accounts[1].app_id " + B_APP + " is used twice"),
    ([entry(), entry(app_id="wxother00000000003")], "accounts[1].community 梁溪社区 already has an account"),
    ([entry(templates=["x"])], "accounts[0].templates must be a mapping"),
])
def test_a_bad_account_names_the_key(accounts: Any, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_with(accounts)
    assert key in str(err.value)


def test_account_secrets_come_from_the_environment_by_position() -> None:
    env = {"COMMUNITY_ACCOUNTS_0_APP_SECRET": "0042", "COMMUNITY_ACCOUNTS_0_TOKEN": "from-env",
           "COMMUNITY_ACCOUNTS_0_TEMPLATES": "{bulletin: tpl-env}"}
    a = settings_with([entry(app_secret="", token="")], env).account(B_APP)
    assert (a.app_secret, a.token, a.templates) == ("0042", "from-env", {"bulletin": "tpl-env"})
    with pytest.raises(ConfigError) as err:
        settings_with([entry(app_secret="")])
    assert "accounts[0].app_secret must not be empty" in str(err.value)
    assert "COMMUNITY_ACCOUNTS_0_APP_SECRET" in str(err.value)


@pytest.mark.parametrize("name,key", [
    ("COMMUNITY_ACCOUNTS_1_TOKEN", "accounts[1] is not in the config file"),
    ("COMMUNITY_ACCOUNTS_0_COLOUR", "accounts[0].colour is not a setting"),
    ("COMMUNITY_ACCOUNTS_TOKEN", "COMMUNITY_ACCOUNTS_<N>_<KEY>"),
])
def test_a_bad_account_variable_names_itself(name: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_with([entry()], {name: "x"})
    assert name in str(err.value) and key in str(err.value)


def test_the_shipped_config_files_document_accounts_and_still_load() -> None:
    from settings import ROOT
    for name in ("config.yaml", "config.production.yaml"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "# accounts:" in text and "COMMUNITY_ACCOUNTS_0_APP_SECRET" in text
    assert load_settings(ROOT / "config.yaml", environ={}).accounts == ()
