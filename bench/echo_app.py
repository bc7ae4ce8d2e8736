"""The baseline: a bare Flask + wechatpy echo (check signature, parse, fixed reply)."""
from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

TOKEN = "bench-token"
app = Flask(__name__)


@app.post("/wechat")
def wechat() -> Response:
    check_signature(TOKEN, request.args["signature"], request.args["timestamp"], request.args["nonce"])
    msg = parse_message(request.get_data())
    return Response(TextReply(content="收到", message=msg).render(), mimetype="application/xml")
