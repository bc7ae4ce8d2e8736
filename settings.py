"""Configuration: config.yaml, overridden by COMMUNITY_* environment variables.

Every setting is a typed field of a section dataclass below; loading checks each
key's presence and type and raises ConfigError naming the key at fault.
"""
from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import os
import types
from datetime import time
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

ROOT = Path(__file__).resolve().parent
DEFAULT_FILE = ROOT / "config.yaml"
ENV_PREFIX = "COMMUNITY_"
REQUIRED = object()  # marks a field with no default: the file must give it


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the key."""


def _req() -> Any:
    return field(default=REQUIRED)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CommunitySettings:
    name: str = _req()
    timezone: str = "Asia/Shanghai"
    contact: str = ""    # how residents reach a person (phone, office, hours); "" = leave a message here

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ServerSettings:
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = _req()
    max_body_bytes: int = 64 * 1024
    reply_budget_seconds: float = 4.0
    worker_threads: int = 8
    rate_limit_per_minute: int = 30
    max_clock_skew_seconds: int = 300


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = _req()
    echo: bool = False
    busy_timeout_ms: int = 10000


@dataclass(frozen=True)
class RedisSettings:
    url: str = ""
    prefix: str = "linli:"


@dataclass(frozen=True)
class WeChatSettings:
    app_id: str = _req()
    app_secret: str = _req()
    token: str = _req()
    encoding_aes_key: str = ""
    api_base_url: str = ""
    api_timeout_seconds: float = 5.0
    token_retry_limit: int = 2
    templates: dict[str, str] = field(default_factory=dict)
    menu: dict[str, str] = field(default_factory=dict)
    channels: list[str] = field(default_factory=lambda: ["template", "customer", "inbox"])


@dataclass(frozen=True)
class AccountSettings:
    """A community's own Official Account (the `accounts` list; webhook /wechat/<app_id>).
    Read and checked by settings_accounts.py."""

    community: str = _req()            # the community's name, as in the roster
    app_id: str = _req()
    app_secret: str = _req()
    token: str = _req()
    encoding_aes_key: str = ""
    original_id: str = ""              # gh_…: when set, messages must be addressed to it
    templates: dict[str, str] = field(default_factory=dict)
    contact: str = ""                  # this community's phone / office / hours (else community.contact)


@dataclass(frozen=True)
class SandboxSettings:
    enabled: bool = False


@dataclass(frozen=True)
class SchedulerSettings:
    embedded: bool = True
    tick_seconds: int = 60
    lease_seconds: int = 90


@dataclass(frozen=True)
class DialogSettings:
    timeout_minutes: int = 10


@dataclass(frozen=True)
class ComplaintSettings:
    accept_hours: int = 24
    resolve_days: int = 7
    rating_ask_hours: int = 24
    auto_close_days: int = 7
    duplicate_days: int = 30
    attach_minutes: int = 10
    cluster_households: int = 5
    cluster_days: int = 7


@dataclass(frozen=True)
class DeliverySettings:
    quiet_start: str = "22:00"
    quiet_end: str = "07:00"
    stale_sending_minutes: int = 10


@dataclass(frozen=True)
class NluSettings:
    warm_on_start: bool = True


@dataclass(frozen=True)
class Settings:
    community: CommunitySettings
    server: ServerSettings
    database: DatabaseSettings
    wechat: WeChatSettings
    redis: RedisSettings = field(default_factory=RedisSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    dialog: DialogSettings = field(default_factory=DialogSettings)
    nlu: NluSettings = field(default_factory=NluSettings)
    complaints: ComplaintSettings = field(default_factory=ComplaintSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    accounts: tuple[AccountSettings, ...] = ()   # community accounts beside `wechat`
    source: str = ""

    def account(self, app_id: str | None) -> AccountSettings | None:
        """The community account with this AppId (None: unknown, or the deployment's own)."""
        return next((a for a in self.accounts if a.app_id == app_id), None)

    @property
    def api_base_url(self) -> str:
        """The WeChat API root: explicit setting, else the sandbox stand-in, else WeChat."""
        if self.wechat.api_base_url:
            return self.wechat.api_base_url.rstrip("/") + "/"
        if self.sandbox.enabled:
            return self.server.base_url.rstrip("/") + "/sandbox/api/"
        return "https://api.weixin.qq.com/"


SECTIONS: dict[str, type] = {
    f.name: typing.get_type_hints(Settings)[f.name]
    for f in dataclasses.fields(Settings)
    if f.name not in ("source", "accounts")   # accounts is a list: settings_accounts.py
}


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a mapping of sections")
    return data


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """COMMUNITY_<SECTION>_<KEY>=value → {section: {key: parsed value}}."""
    out: dict[str, dict[str, Any]] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "COMMUNITY_CONFIG":
            continue
        if name.startswith(ENV_PREFIX + "ACCOUNTS_"):
            continue   # COMMUNITY_ACCOUNTS_<N>_<KEY>: settings_accounts.py
        rest = name[len(ENV_PREFIX):].lower()
        section = next((s for s in SECTIONS if rest.startswith(s + "_")), None)
        if section is None:
            raise ConfigError(f"environment variable {name} names no known section "
                              f"({', '.join(SECTIONS)})")
        key = rest[len(section) + 1:]
        known = {f.name for f in dataclasses.fields(SECTIONS[section])}
        if key not in known:
            raise ConfigError(f"environment variable {name}: {section}.{key} is not a setting")
        hint = typing.get_type_hints(SECTIONS[section])[key]
        if hint is str:
            value: Any = raw  # text stays text: "22:00" or "0123" must not become numbers
        else:
            try:
                value = yaml.safe_load(raw) if raw.strip() else ""
            except yaml.YAMLError:
                value = raw
        out.setdefault(section, {})[key] = value
    return out


def _coerce(key: str, hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key} must be true or false, not {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{key} must be a whole number, not {value!r}")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{key} must be a number, not {value!r}")
    if hint is str:
        if value is None:
            return ""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{key} must be text, not {value!r}")
    if origin is dict:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key} must be a mapping, not {value!r}")
        return {str(k): _coerce(f"{key}.{k}", str, v) for k, v in value.items()}
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key} must be a list, not {value!r}")
        return [_coerce(f"{key}[{i}]", str, v) for i, v in enumerate(value)]
    if isinstance(hint, types.UnionType):  # pragma: no cover - not used yet
        return value
    raise ConfigError(f"{key}: unsupported setting type {hint!r}")


def _build_section(name: str, cls: type, data: Any) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{name} must be a mapping of settings, not {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(fields)
    if unknown:
        raise ConfigError(f"{name}.{sorted(unknown)[0]} is not a setting")
    kwargs = {}
    for fname, f in fields.items():
        key = f"{name}.{fname}"
        if fname in data:
            kwargs[fname] = _coerce(key, hints[fname], data[fname])
        elif f.default is REQUIRED:
            raise ConfigError(f"{key} is missing")
    return cls(**kwargs)


def _validate(s: Settings) -> None:
    try:
        ZoneInfo(s.community.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"community.timezone: unknown time zone {s.community.timezone!r}") from None
    for key, value in (("wechat.app_id", s.wechat.app_id), ("wechat.token", s.wechat.token),
                       ("database.url", s.database.url), ("server.secret_key", s.server.secret_key)):
        if not value.strip():
            raise ConfigError(f"{key} must not be empty")
    aes = s.wechat.encoding_aes_key
    if aes:
        try:
            ok = len(aes) == 43 and len(base64.b64decode(aes + "=", validate=True)) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            raise ConfigError("wechat.encoding_aes_key must be the 43-character key from the "
                              "WeChat console, or empty for plaintext mode")
    if s.server.reply_budget_seconds <= 0 or s.server.reply_budget_seconds >= 5:
        raise ConfigError("server.reply_budget_seconds must be between 0 and 5 (WeChat waits 5 s)")
    if s.server.max_body_bytes < 1024:
        raise ConfigError("server.max_body_bytes must be at least 1024")
    for channel in s.wechat.channels:
        if channel not in ("template", "customer", "inbox"):
            raise ConfigError(f"wechat.channels: unknown channel {channel!r} "
                              "(template, customer, inbox)")
    for key in ("quiet_start", "quiet_end"):
        value = getattr(s.delivery, key)
        try:
            time.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"delivery.{key} must be a time like 22:00, not {value!r}") from None
    for url_key, url in (("wechat.api_base_url", s.wechat.api_base_url),
                         ("server.base_url", s.server.base_url), ("redis.url", s.redis.url)):
        if url and "://" not in url:
            raise ConfigError(f"{url_key} must be a URL, not {url!r}")


def load_settings(config: Mapping[str, Any] | str | Path | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Read the config file (COMMUNITY_CONFIG or config.yaml), apply env and overrides."""
    environ = os.environ if environ is None else environ
    if isinstance(config, (str, Path)):
        path = Path(config)
        overrides: Mapping[str, Any] = {}
    else:
        path = Path(environ.get("COMMUNITY_CONFIG") or DEFAULT_FILE)
        overrides = config or {}
    data = _read_file(path)
    data = deep_merge(data, _env_overrides(environ))
    data = deep_merge(data, overrides)
    accounts = data.pop("accounts", None)
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise ConfigError(f"{sorted(unknown)[0]} is not a section ({', '.join(SECTIONS)})")
    sections = {}
    for name, cls in SECTIONS.items():
        if name not in data and any(f.default is REQUIRED for f in dataclasses.fields(cls)):
            raise ConfigError(f"{name} section is missing")
        sections[name] = _build_section(name, cls, data.get(name))
    settings = Settings(**sections, source=str(path))
    _validate(settings)
    from settings_accounts import build_accounts  # imported here: it imports this module
    return dataclasses.replace(settings, accounts=build_accounts(accounts, environ, settings))
