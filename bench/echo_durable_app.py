"""A second baseline: the bare echo plus the least a durable webhook must do — record the
message under a unique key and commit before answering (raw driver, one statement, no ORM).

bench/webhook.py reports Linli against both: the bare echo is the issue's target; this one
shows how much of the gap is durability itself rather than Linli's own work.

With BENCH_ECHO_NLU=1 it also reads the text with Linli's NLU (warmed at import, as Linli
warms it at start-up) and answers with the intent: the floor of a webhook that understands
free text and records it durably before answering, which PRODUCT asks of every message.
"""
import os
import threading
import time

from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

TOKEN = "bench-token"
URL = os.environ.get("COMMUNITY_DATABASE_URL", "sqlite:///instance/echo-durable.db")
SQLITE = URL.startswith("sqlite")
MARK = "?" if SQLITE else "%s"
NLU = None
if os.environ.get("BENCH_ECHO_NLU") == "1":
    from bot.nlu import get_nlu

    NLU = get_nlu()
    NLU.warm()
TABLE = "echo_seen_nlu" if NLU is not None else "echo_seen"  # apart: run ids may repeat
app = Flask(__name__)
_local = threading.local()


def _connect():  # type: ignore[no-untyped-def]
    if SQLITE:
        import sqlite3
        conn = sqlite3.connect(URL.split("///", 1)[1], timeout=10, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn
    import psycopg
    return psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"))


def _db():  # type: ignore[no-untyped-def]
    conn = getattr(_local, "conn", None)
    if conn is None or getattr(_local, "pid", None) != os.getpid():
        conn = _local.conn = _connect()
        _local.pid = os.getpid()
    return conn


with _connect() as first:
    first.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (msg_id VARCHAR(64) PRIMARY KEY, "
                  "received_at DOUBLE PRECISION NOT NULL)")
    if not SQLITE:
        first.commit()


@app.post("/wechat")
def wechat() -> Response:
    check_signature(TOKEN, request.args["signature"], request.args["timestamp"], request.args["nonce"])
    msg = parse_message(request.get_data())
    answer = NLU.understand(msg.content).intent if NLU is not None else "收到"
    conn = _db()
    if SQLITE:
        conn.execute("BEGIN IMMEDIATE")
    conn.execute(f"INSERT INTO {TABLE} VALUES ({MARK}, {MARK})", (str(msg.id), time.time()))
    conn.commit() if not SQLITE else conn.execute("COMMIT")
    return Response(TextReply(content=answer, message=msg).render(), mimetype="application/xml")
