"""The sandbox with community accounts: the chat page and `flask chat` write through a
chosen account; the stand-in API issues tokens per AppId. Without accounts nothing changes."""
from __future__ import annotations

from typing import Any

import requests
from sqlalchemy import select

from models.resident import Resident
from tests.bot.test_accounts import B_APP, account_b


def app_id_of(app: Any, openid: str) -> str | None:
    with app.extensions["linli"].factory() as s:
        return s.scalars(select(Resident.app_id).where(Resident.openid == openid)).one()


def test_the_chat_page_offers_the_accounts_only_when_there_are_some(make_app: Any) -> None:
    plain = make_app().test_client().get("/sandbox/").get_data(as_text=True)
    assert 'id="account"' not in plain
    page = make_app(accounts=[account_b()]).test_client().get("/sandbox/").get_data(as_text=True)
    assert 'id="account"' in page and f'value="{B_APP}"' in page and "梁溪社区" in page


def test_the_chat_page_writes_through_the_chosen_account(make_app: Any) -> None:
    app = make_app(accounts=[account_b()])
    client = app.test_client()
    res = client.post("/sandbox/send", json={"openid": "web-b", "text": "帮助", "account": B_APP})
    assert res.status_code == 200 and res.json["status"] == 200 and "1." in res.json["reply"]
    msgs = client.get("/sandbox/messages?openid=web-b&after=0").json["messages"]
    assert [(m["direction"], m["app_id"]) for m in msgs] == [("in", B_APP), ("reply", B_APP)]
    assert app_id_of(app, "web-b") == B_APP
    # the default: the deployment's own account, as before
    assert client.post("/sandbox/send", json={"openid": "web-a", "text": "帮助"}).json["status"] == 200
    assert app_id_of(app, "web-a") is None
    bad = client.post("/sandbox/send", json={"openid": "web-b", "text": "x", "account": "wxnope"})
    assert bad.status_code == 400 and "wxnope" in bad.json["error"]


def test_flask_chat_chooses_the_account(make_app: Any) -> None:
    app = make_app(accounts=[account_b()])
    res = app.test_cli_runner().invoke(args=["chat", "--openid", "cli-b", "--account", B_APP],
                                       input="帮助\n")
    assert res.exit_code == 0 and "1." in res.output, res.output
    assert app_id_of(app, "cli-b") == B_APP
    bad = app.test_cli_runner().invoke(args=["chat", "--openid", "cli-b", "--account", "wxnope"])
    assert bad.exit_code != 0 and "wxnope" in bad.output and B_APP in bad.output


def test_the_stand_in_issues_tokens_per_account(live: Any) -> None:
    srv = live(accounts=[account_b()])

    def token(appid: str, secret: str) -> dict[str, Any]:
        return requests.get(srv.url + "/sandbox/api/cgi-bin/token", timeout=5, params={
            "grant_type": "client_credential", "appid": appid, "secret": secret}).json()

    assert token(B_APP, "b-secret")["access_token"]
    assert token(B_APP, "test-secret")["errcode"] == 40125      # A's secret is not B's
    assert token("wxnope", "b-secret")["errcode"] == 40013
