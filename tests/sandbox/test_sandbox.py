"""The sandbox: the chat page, its send/poll API through the signed webhook, `flask chat`."""
from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("aes", [False, True])
def test_chat_page_round_trip(make_app: Any, aes: bool) -> None:
    from tests.conftest import AES_KEY
    app = make_app(wechat={"encoding_aes_key": AES_KEY if aes else ""})
    client = app.test_client()
    page = client.get("/sandbox/")
    assert page.status_code == 200 and "黄巷社区" in page.get_data(as_text=True)
    res = client.post("/sandbox/send", json={"openid": "web-1", "type": "text", "text": "帮助"})
    assert res.status_code == 200 and res.json["status"] == 200 and "1." in res.json["reply"]
    msgs = client.get("/sandbox/messages?openid=web-1&after=0").json["messages"]
    assert [m["direction"] for m in msgs] == ["in", "reply"]
    assert msgs[0]["text"] == "帮助" and "1." in msgs[1]["text"]


def test_chat_page_refuses_a_bad_openid(app: Any) -> None:
    res = app.test_client().post("/sandbox/send", json={"openid": "<script>", "text": "x"})
    assert res.status_code == 400


def test_sandbox_is_absent_when_disabled(make_app: Any) -> None:
    app = make_app(sandbox={"enabled": False})
    assert app.test_client().get("/sandbox/").status_code == 404
    assert app.test_client().get("/sandbox/api/cgi-bin/token").status_code == 404


def test_flask_chat_talks_through_the_webhook(app: Any) -> None:
    res = app.test_cli_runner().invoke(args=["chat", "--openid", "cli-1"], input="你好\n帮助\n")
    assert res.exit_code == 0, res.output
    assert "> 你好" in res.output and "您好" in res.output and "1." in res.output


def test_flask_chat_sends_an_event(app: Any) -> None:
    res = app.test_cli_runner().invoke(args=["chat", "--openid", "cli-2", "--event", "subscribe"])
    assert res.exit_code == 0 and "绑定" in res.output


def test_sandbox_log_keeps_no_full_phone_number(app: Any) -> None:
    client = app.test_client()
    client.post("/sandbox/send", json={"openid": "web-ph", "type": "text",
                                       "text": "绑定 3号楼2单元301 张伟 13812345678"})
    msgs = client.get("/sandbox/messages?openid=web-ph&after=0").json["messages"]
    assert msgs and "13812345678" not in msgs[0]["text"] and "138****5678" in msgs[0]["text"]
