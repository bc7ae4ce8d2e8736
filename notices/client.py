"""The WeChat API client: wechatpy, pointed at `wechat.api_base_url` for every call
(the token fetch included), with the shared token and a bounded retry on 40001/42001.

One client per Official Account (Accounts): the deployment's own (`wechat`) and each
community's (`accounts`), each with its own AppId, secret, token store and templates."""
from __future__ import annotations

import logging
from typing import Any

import requests
from sqlalchemy.orm import Session, sessionmaker
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from notices.tokens import TokenStore
from settings import AccountSettings, Settings

log = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}
# Worth retrying later: system busy, frequency limits, rate limits, HTTP failures.
TRANSIENT_ERRORS = {-1, 45009, 45011, 45033}
POOL_SIZE = 32


class WeChatApiError(Exception):
    def __init__(self, errcode: int | None, errmsg: str, *, transient: bool):
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.transient = transient


class _Client(WeChatClient):
    """wechatpy's client with our API root and token store (its own retry is switched off:
    on 40001 it refetches without limit and can burn the daily token quota)."""

    def __init__(self, api: WeChatApi):
        super().__init__(api.app_id, api.app_secret,
                         timeout=api.settings.wechat.api_timeout_seconds, auto_retry=False)
        self.API_BASE_URL = api.base_url + "cgi-bin/"
        self._api = api

    @property
    def access_token(self) -> str:  # type: ignore[override]
        return self._api.tokens.get()

    def fetch_access_token(self) -> dict[str, Any]:
        token = self._api.tokens.refresh(stale=None)
        return {"access_token": token}


def _http_session() -> requests.Session:
    http = requests.Session()
    # Fan-outs call from many threads at once: keep a connection per thread.
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


class WeChatApi:
    """The API as one Official Account: the deployment's (account=None) or a community's."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session],
                 account: AccountSettings | None = None, http: requests.Session | None = None):
        self.settings = settings
        self.account = account
        w = settings.wechat
        self.app_id = account.app_id if account else w.app_id
        self.app_secret = account.app_secret if account else w.app_secret
        self.templates: dict[str, str] = account.templates if account else w.templates
        self.base_url = settings.api_base_url
        self.http = http or _http_session()
        self.tokens = TokenStore(factory, self.app_id, self._fetch_token)
        self.client = _Client(self)
        self.client._http = self.http  # one connection pool for token and calls

    def _fetch_token(self) -> tuple[str, int]:
        w = self.settings.wechat
        try:
            res = self.http.get(self.base_url + "cgi-bin/token", timeout=w.api_timeout_seconds,
                                params={"grant_type": "client_credential", "appid": self.app_id,
                                        "secret": self.app_secret})
            res.raise_for_status()
            data = res.json()
        except (requests.RequestException, ValueError) as exc:
            raise WeChatApiError(None, f"token fetch failed: {exc}", transient=True) from None
        if data.get("errcode"):
            raise WeChatApiError(int(data["errcode"]), str(data.get("errmsg", "")),
                                 transient=int(data["errcode"]) in TRANSIENT_ERRORS)
        if not data.get("access_token"):
            raise WeChatApiError(None, "token fetch answered no access_token", transient=True)
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    def call(self, method: str, endpoint: str, **kwargs: Any) -> dict[str, Any]:
        """One API call; on a token error refetch and retry, at most token_retry_limit times."""
        limit = self.settings.wechat.token_retry_limit
        for attempt in range(limit + 1):
            token = self.tokens.get()
            params = dict(kwargs.pop("params", None) or {})
            params["access_token"] = token
            try:
                result = self.client._request(method, endpoint, params=params, **kwargs)
            except WeChatClientException as exc:
                code = exc.errcode
                if code in TOKEN_ERRORS and attempt < limit:
                    log.warning("token rejected (%s); refetching (%d/%d)", code, attempt + 1, limit)
                    self.tokens.refresh(stale=token)
                    continue
                transient = code is None or code in TRANSIENT_ERRORS
                raise WeChatApiError(code, str(exc.errmsg or exc), transient=transient) from None
            except requests.RequestException as exc:
                raise WeChatApiError(None, f"network: {exc}", transient=True) from None
            if not isinstance(result, dict):
                raise WeChatApiError(None, "the API answered something that is not JSON",
                                     transient=True)
            return result
        raise AssertionError("unreachable")

    # The calls Linli makes -------------------------------------------------------------
    def send_custom(self, openid: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.call("post", "message/custom/send", data={"touser": openid, **body})

    def send_template(self, openid: str, template_id: str, data: dict[str, Any],
                      url: str = "") -> dict[str, Any]:
        payload: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if url:
            payload["url"] = url
        return self.call("post", "message/template/send", data=payload)

    def mass_send(self, openids: list[str], text: str) -> dict[str, Any]:
        """A text mass message to a list of openids (WeChat: 2 to 10,000 of them)."""
        return self.call("post", "message/mass/send",
                         data={"touser": openids, "msgtype": "text", "text": {"content": text}})


class Accounts:
    """Every Official Account's client, found by the AppId a resident writes through
    (Resident.app_id; None is the deployment's own account). One connection pool for all."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session],
                 deployment: WeChatApi | None = None):
        self.deployment = deployment or WeChatApi(settings, factory)
        self.by_app_id = {a.app_id: WeChatApi(settings, factory, a, http=self.deployment.http)
                          for a in settings.accounts}

    def get(self, app_id: str | None) -> WeChatApi | None:
        """The client for this account; None for an AppId no longer configured (its
        residents' openids mean nothing to any other account, so nothing is pushed)."""
        if app_id is None or app_id == self.deployment.app_id:
            return self.deployment
        return self.by_app_id.get(app_id)

    def all(self) -> list[WeChatApi]:
        return [self.deployment, *self.by_app_id.values()]
