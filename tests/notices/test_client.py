"""The WeChat API client over real HTTP against the sandbox's stand-in WeChat API."""
from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import select

from models.sandbox import SandboxMessage
from models.wechat import AccessToken
from notices.client import WeChatApi, WeChatApiError
from tests.wechat_side import WeChatSide


def faults(srv: Any, **data: Any) -> dict[str, Any]:
    return requests.post(srv.url + "/sandbox/api/_faults", json=data, timeout=5).json()


def counts(srv: Any) -> dict[str, int]:
    return requests.get(srv.url + "/sandbox/api/_faults", timeout=5).json()["counts"]


def pushes(app: Any, openid: str) -> list[SandboxMessage]:
    with app.extensions["linli"].factory() as s:
        return list(s.scalars(select(SandboxMessage).where(
            SandboxMessage.openid == openid, SandboxMessage.direction == "push")
            .order_by(SandboxMessage.id)))


def open_window(srv: Any, openid: str) -> None:
    WeChatSide(srv.app, client=srv.app.test_client()).say(openid, "你好")


def test_token_is_fetched_from_the_configured_root_once_and_shared(live: Any) -> None:
    srv = live()
    open_window(srv, "o-tok")
    linli = srv.app.extensions["linli"]
    linli.api.send_custom("o-tok", {"msgtype": "text", "text": {"content": "一"}})
    # A second client with the same database stands for another worker process.
    other = WeChatApi(linli.settings, linli.factory)
    other.send_custom("o-tok", {"msgtype": "text", "text": {"content": "二"}})
    assert counts(srv)["token"] == 1
    assert [p.body["text"]["content"] for p in pushes(srv.app, "o-tok")] == ["一", "二"]
    with linli.factory() as s:
        row = s.get(AccessToken, linli.settings.wechat.app_id)
        assert row is not None and row.fetch_count == 1


def test_token_rejected_forever_is_refetched_a_bounded_number_of_times(live: Any) -> None:
    srv = live()
    open_window(srv, "o-40001")
    api = srv.app.extensions["linli"].api
    faults(srv, always={"errcode": 40001, "only": "custom"})
    with pytest.raises(WeChatApiError) as info:
        api.send_custom("o-40001", {"msgtype": "text", "text": {"content": "x"}})
    assert info.value.errcode == 40001
    limit = srv.app.extensions["linli"].settings.wechat.token_retry_limit
    assert counts(srv)["token"] == 1 + limit
    assert counts(srv)["custom"] == 1 + limit


def test_an_expired_token_is_replaced_once_and_the_call_goes_through(live: Any) -> None:
    srv = live()
    open_window(srv, "o-42001")
    api = srv.app.extensions["linli"].api
    faults(srv, queue=[{"errcode": 42001, "only": "custom"}])
    api.send_custom("o-42001", {"msgtype": "text", "text": {"content": "到了"}})
    assert counts(srv)["token"] == 2
    assert [p.body["text"]["content"] for p in pushes(srv.app, "o-42001")] == ["到了"]


@pytest.mark.parametrize("fault,transient", [({"http": 502}, True), ({"errcode": -1}, True),
                                             ({"errcode": 45009}, True), ({"errcode": 40003}, False)])
def test_errors_are_classified_for_retry(live: Any, fault: dict[str, Any], transient: bool) -> None:
    srv = live()
    open_window(srv, "o-err")
    api = srv.app.extensions["linli"].api
    api.tokens.get()
    faults(srv, queue=[{**fault, "only": "custom"}])
    with pytest.raises(WeChatApiError) as info:
        api.send_custom("o-err", {"msgtype": "text", "text": {"content": "x"}})
    assert info.value.transient is transient


def test_unreachable_api_is_a_transient_error(make_app: Any) -> None:
    app = make_app(wechat={"api_base_url": "http://127.0.0.1:9/", "api_timeout_seconds": 1.0})
    with pytest.raises(WeChatApiError) as info:
        app.extensions["linli"].api.send_custom("o", {"msgtype": "text", "text": {"content": "x"}})
    assert info.value.transient


def test_explicit_api_base_url_wins_over_the_sandbox(live: Any) -> None:
    elsewhere = live()
    srv = live(wechat={"api_base_url": elsewhere.url + "/sandbox/api/"})
    assert srv.app.extensions["linli"].settings.api_base_url.startswith(elsewhere.url)
    srv.app.extensions["linli"].api.tokens.get()
    assert counts(elsewhere).get("token") == 1
    assert counts(srv).get("token") is None


def test_an_api_hanging_past_its_timeout_is_a_transient_error(live: Any) -> None:
    srv = live(wechat={"api_timeout_seconds": 0.5})
    open_window(srv, "o-hang")
    api = srv.app.extensions["linli"].api
    api.tokens.get()
    faults(srv, queue=[{"hang": 1.5, "only": "custom"}])
    with pytest.raises(WeChatApiError) as info:
        api.send_custom("o-hang", {"msgtype": "text", "text": {"content": "x"}})
    assert info.value.transient and info.value.errcode is None
