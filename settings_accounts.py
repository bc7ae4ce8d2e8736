"""The `accounts` list of the configuration: one Official Account per community, beside
the deployment's own account in the `wechat` section.

Each entry is read like a section (typed, unknown keys refused) and every error names the
key, e.g. `accounts[1].token`. A list has no names that environment variables could use,
so an entry's keys are overridden by position: COMMUNITY_ACCOUNTS_<N>_<KEY>, N counting
the file's entries from 0 (COMMUNITY_ACCOUNTS_0_APP_SECRET sets accounts[0].app_secret).
The file declares the entries; the environment only fills in their values.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import typing
from collections.abc import Mapping
from typing import Any

import yaml

from settings import ENV_PREFIX, AccountSettings, ConfigError, Settings, _build_section

ENV = re.compile(ENV_PREFIX + r"ACCOUNTS_(\d+)_([A-Z0-9_]+)")
APP_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")   # it becomes a path segment: /wechat/<app_id>
NOT_EMPTY = ("community", "app_id", "app_secret", "token")


def _env_overrides(entries: list[Any], environ: Mapping[str, str]) -> list[Any]:
    out = [dict(e) if isinstance(e, Mapping) else e for e in entries]
    hints = typing.get_type_hints(AccountSettings)
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX + "ACCOUNTS_"):
            continue
        m = ENV.fullmatch(name)
        if m is None:
            raise ConfigError(f"environment variable {name}: expected COMMUNITY_ACCOUNTS_<N>_<KEY>, "
                              "N counting the entries of accounts from 0")
        n, key = int(m[1]), m[2].lower()
        if n >= len(out):
            raise ConfigError(f"environment variable {name}: accounts[{n}] is not in the config "
                              f"file (it lists {len(out)} account(s); the file declares them)")
        if key not in hints:
            raise ConfigError(f"environment variable {name}: accounts[{n}].{key} is not a setting")
        if not isinstance(out[n], dict):
            continue   # reported by _build_section with the entry's own key
        if hints[key] is str:
            out[n][key] = raw   # text stays text, e.g. a secret made of digits
        else:
            try:
                out[n][key] = yaml.safe_load(raw) if raw.strip() else {}
            except yaml.YAMLError:
                raise ConfigError(f"environment variable {name}: accounts[{n}].{key} "
                                  "is not valid YAML") from None
    return out


def _aes_ok(aes: str) -> bool:
    try:
        return len(aes) == 43 and len(base64.b64decode(aes + "=", validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def _check(i: int, a: AccountSettings, seen_ids: dict[str, int], seen_names: dict[str, int],
           deployment_app_id: str) -> None:
    key = f"accounts[{i}]"
    for name in NOT_EMPTY:
        if not getattr(a, name).strip():
            hint = f" (set it in the file or COMMUNITY_ACCOUNTS_{i}_{name.upper()})" \
                if name in ("app_secret", "token") else ""
            raise ConfigError(f"{key}.{name} must not be empty{hint}")
    if not APP_ID.fullmatch(a.app_id):
        raise ConfigError(f"{key}.app_id must be the AppID from the WeChat console "
                          f"(letters and digits), not {a.app_id!r}")
    if a.app_id == deployment_app_id:
        raise ConfigError(f"{key}.app_id {a.app_id} is the deployment's own wechat.app_id")
    if a.app_id in seen_ids:
        raise ConfigError(f"{key}.app_id {a.app_id} is used twice (also accounts[{seen_ids[a.app_id]}])")
    if a.community.strip() in seen_names:
        raise ConfigError(f"{key}.community {a.community} already has an account "
                          f"(accounts[{seen_names[a.community.strip()]}])")
    if a.encoding_aes_key and not _aes_ok(a.encoding_aes_key):
        raise ConfigError(f"{key}.encoding_aes_key must be the 43-character key from the "
                          "WeChat console, or empty for plaintext mode")
    seen_ids[a.app_id] = i
    seen_names[a.community.strip()] = i


def build_accounts(raw: Any, environ: Mapping[str, str],
                   settings: Settings) -> tuple[AccountSettings, ...]:
    """The checked community accounts from the merged config data and the environment."""
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise ConfigError(f"accounts must be a list of accounts, not {raw!r}")
    entries = _env_overrides(raw, environ)
    accounts = []
    seen_ids: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for i, entry in enumerate(entries):
        a = _build_section(f"accounts[{i}]", AccountSettings, entry)
        a = dataclasses.replace(a, community=a.community.strip(), app_id=a.app_id.strip())
        _check(i, a, seen_ids, seen_names, settings.wechat.app_id)
        accounts.append(a)
    return tuple(accounts)
