"""Configuration: the file, COMMUNITY_* overrides, and errors that name the key."""
from __future__ import annotations

from pathlib import Path

import pytest

from settings import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.yaml"
    p.write_text(text, encoding="utf-8")
    return p


MINIMAL = """
community: {name: 测试社区}
server: {secret_key: s}
database: {url: "sqlite:///x.db"}
wechat: {app_id: wx1, app_secret: sec, token: tok}
"""


def test_the_shipped_config_loads_with_the_sandbox_on() -> None:
    s = load_settings(environ={})
    assert s.sandbox.enabled and s.wechat.encoding_aes_key == ""
    assert s.api_base_url.endswith("/sandbox/api/")


def test_community_config_selects_another_file(tmp_path: Path) -> None:
    s = load_settings(environ={"COMMUNITY_CONFIG": str(write(tmp_path, MINIMAL))})
    assert s.community.name == "测试社区" and s.api_base_url == "https://api.weixin.qq.com/"


def test_env_overrides_single_keys(tmp_path: Path) -> None:
    env = {"COMMUNITY_CONFIG": str(write(tmp_path, MINIMAL)),
           "COMMUNITY_DATABASE_URL": "postgresql://u@h/db",
           "COMMUNITY_WECHAT_APP_SECRET": "from-env",
           "COMMUNITY_SERVER_PORT": "9000", "COMMUNITY_SANDBOX_ENABLED": "true"}
    s = load_settings(environ=env)
    assert s.database.url == "postgresql://u@h/db" and s.wechat.app_secret == "from-env"
    assert s.server.port == 9000 and s.sandbox.enabled is True


@pytest.mark.parametrize("text,env,key", [
    (MINIMAL.replace("token: tok", "token: ''"), {}, "wechat.token"),
    (MINIMAL.replace(", token: tok", ""), {}, "wechat.token"),
    (MINIMAL.replace("database: {url: \"sqlite:///x.db\"}\n", ""), {}, "database"),
    (MINIMAL + "scheduler: {tick_seconds: soon}\n", {}, "scheduler.tick_seconds"),
    (MINIMAL + "sandbox: {enabled: perhaps}\n", {}, "sandbox.enabled"),
    (MINIMAL.replace("token: tok", "token: tok, encoding_aes_key: short"), {}, "wechat.encoding_aes_key"),
    (MINIMAL + "wechat2: {}\n", {}, "wechat2"),
    (MINIMAL, {"COMMUNITY_WECHAT_APPSECRET": "x"}, "wechat.appsecret"),
    (MINIMAL, {"COMMUNITY_SERVER_PORT": "eighty"}, "server.port"),
    (MINIMAL + "community: {name: x, timezone: Mars/Olympus}\n", {}, "community.timezone"),
    ("community: [", {}, "not valid YAML"),
])
def test_bad_config_names_the_key(tmp_path: Path, text: str, env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"COMMUNITY_CONFIG": str(write(tmp_path, text)), **env})
    assert key in str(info.value)


def test_bad_config_stops_the_wsgi_app_with_a_message(tmp_path: Path) -> None:
    import subprocess
    import sys
    bad = write(tmp_path, MINIMAL.replace("token: tok", "token: ''"))
    proc = subprocess.run([sys.executable, "-c", "import app; app.app"], capture_output=True,
                          text=True, env={"COMMUNITY_CONFIG": str(bad), "PATH": "/usr/bin:/bin"},
                          cwd=Path(__file__).resolve().parent.parent, timeout=60)
    assert proc.returncode == 2
    assert "wechat.token" in proc.stderr and "Traceback" not in proc.stderr


def test_production_config_takes_secrets_from_the_environment_only() -> None:
    from settings import ROOT
    prod = str(ROOT / "config.production.yaml")
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"COMMUNITY_CONFIG": prod})
    assert "must not be empty" in str(info.value)
    env = {"COMMUNITY_CONFIG": prod, "COMMUNITY_SERVER_SECRET_KEY": "k" * 32,
           "COMMUNITY_DATABASE_URL": "postgresql://linli@127.0.0.1/linli",
           "COMMUNITY_REDIS_URL": "redis://127.0.0.1:6379/0", "COMMUNITY_WECHAT_APP_ID": "wx123",
           "COMMUNITY_WECHAT_APP_SECRET": "s", "COMMUNITY_WECHAT_TOKEN": "t"}
    s = load_settings(environ=env)
    assert s.sandbox.enabled is False and s.scheduler.embedded is False
    assert s.api_base_url == "https://api.weixin.qq.com/"


def test_env_text_values_stay_text(tmp_path: Path) -> None:
    env = {"COMMUNITY_CONFIG": str(write(tmp_path, MINIMAL)), "COMMUNITY_DELIVERY_QUIET_START": "23:30",
           "COMMUNITY_WECHAT_TOKEN": "0123"}
    s = load_settings(environ=env)
    assert s.delivery.quiet_start == "23:30" and s.wechat.token == "0123"
    with pytest.raises(ConfigError) as info:
        load_settings(environ={**env, "COMMUNITY_DELIVERY_QUIET_END": "late"})
    assert "delivery.quiet_end" in str(info.value)
