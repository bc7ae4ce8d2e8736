"""The baselines bench/webhook.py measures Linli against do what their names say: the bare
echo checks the signature and parses; the durable echo also records each message under a
unique key before answering; with BENCH_ECHO_NLU=1 it also reads the text with Linli's NLU.
The benches' ratios, and the argument about the 0.7 target in docs/scaling.md, rest on it."""
from __future__ import annotations

import hashlib
import importlib.util
import sqlite3
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"


def load(name: str, monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    spec = importlib.util.spec_from_file_location(f"bench_{name}_{time.time_ns()}",
                                                  ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def post(module: ModuleType, text: str, msg_id: str, token: str = TOKEN) -> tuple[int, str]:
    ts, nonce = str(int(time.time())), "n"
    sig = hashlib.sha1("".join(sorted([token, ts, nonce])).encode()).hexdigest()
    body = (f"<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[u1]]></FromUserName>"
            f"<CreateTime>1764200000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>")
    client = module.app.test_client()
    client.application.testing = False  # errors answer 500, as under gunicorn
    r = client.post(f"/wechat?signature={sig}&timestamp={ts}&nonce={nonce}", data=body.encode())
    return r.status_code, r.get_data(as_text=True)


def test_bare_echo_checks_the_signature_and_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    echo = load("echo_app", monkeypatch)
    status, body = post(echo, "你好", "1")
    assert status == 200 and "收到" in body and "<ToUserName><![CDATA[u1]]>" in body
    status, _ = post(echo, "你好", "2", token="forged")
    assert status == 500  # wechatpy's InvalidSignatureException: the echo does check


@pytest.mark.parametrize("with_nlu", [False, True])
def test_durable_echo_records_each_message_once_before_answering(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_nlu: bool) -> None:
    db = tmp_path / "echo.db"
    env = {"COMMUNITY_DATABASE_URL": f"sqlite:///{db}"}
    if with_nlu:
        env["BENCH_ECHO_NLU"] = "1"
    else:
        monkeypatch.delenv("BENCH_ECHO_NLU", raising=False)
    echo = load("echo_durable_app", monkeypatch, **env)
    status, body = post(echo, "三号楼二单元楼道灯坏了", "42")
    assert status == 200
    # With the NLU it answers with what it understood; without, the fixed reply.
    assert ("complaint" in body) if with_nlu else ("收到" in body)
    table = "echo_seen_nlu" if with_nlu else "echo_seen"
    with sqlite3.connect(db) as conn:
        assert conn.execute(f"SELECT msg_id FROM {table}").fetchall() == [("42",)]
    status, _ = post(echo, "三号楼二单元楼道灯坏了", "42")  # the unique key holds
    assert status == 500
