"""The console's 发布通知 form over plain HTTP: every refusal names the field and says why in
Chinese, and a repeat rule that fires more often than hourly is refused."""
from __future__ import annotations

import html
import re
from typing import Any

import pytest

from models.bulletins import Bulletin
from models.db import transaction
from tests import factories
from tests.console.conftest import PASSWORD, add_staff


def _token(client: Any, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def form(app: Any) -> Any:
    """form(**fields) -> (status, flash text) of one POST to /console/bulletins/new."""
    factory = app.extensions["linli"].factory
    add_staff(factory, "chen", "社工", "陈社工")
    with transaction(factory) as s:
        unit_id = factories.stairwell(s, ["301"])[0].unit_id
    client = app.test_client()
    client.post("/console/login", data={"username": "chen", "password": PASSWORD,
                                        "csrf_token": _token(client, "/console/login")})

    def post(**fields: str) -> tuple[int, str]:
        data = {"csrf_token": _token(client, "/console/bulletins/new"), "topic": "活动",
                "scope": f"unit:{unit_id}", "title": "读书会", "body": "周日下午", "when": "now",
                "action": "preview", **fields}
        res = client.post("/console/bulletins/new", data=data)
        flashes = re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', res.get_data(as_text=True), re.S)
        return res.status_code, html.unescape(" ".join(flashes))
    return post


@pytest.mark.parametrize(("fields", "said"), [
    ({"title": ""}, "标题：请填写标题"),
    ({"title": "长" * 121}, "标题：标题太长了（121 字）"),
    ({"body": ""}, "正文：请填写正文"),
    ({"when": "cron", "cron": "每周一"}, "重复规则：“每周一”看不懂。请按“分 时 日 月 星期”5 段写，例如 0 9 * * 1"),
    ({"when": "cron", "cron": "* * * * *"}, "重复规则：“* * * * *”每小时不止发一次，太频繁了"),
    ({"when": "cron", "cron": "*/10 8 * * *"}, "太频繁了"),
])
def test_form_refusals_are_in_chinese(app: Any, form: Any, fields: dict[str, str], said: str) -> None:
    status, text = form(**fields, action="publish")
    assert status == 400 and said in text, text
    assert not re.search(r"[A-Za-z]{4,}", text.replace("cron", "")), text   # no English left
    with app.extensions["linli"].factory() as s:
        assert s.query(Bulletin).count() == 0


def test_an_hourly_repeat_rule_is_accepted(form: Any) -> None:
    status, text = form(when="cron", cron="0 * * * *")
    assert status == 200 and "重复规则" not in text
