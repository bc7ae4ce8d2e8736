"""`flask staff add/list/set-head/unset-head`: roles, scopes, console passwords, 楼道长."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from werkzeug.security import check_password_hash

from models.community import Place
from models.db import transaction
from models.people import Staff
from models.resident import Resident
from tests.community.helpers import load_roster
from tests.wechat_side import Transcript, WeChatSide


def staff_cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["staff", *args])


def test_add_with_scope_and_console_login_then_list(app: Any) -> None:
    load_roster(app)
    result = staff_cli(app, "add", "o-grid", "--name", "李网格", "--role", "网格员", "--scope", "黄巷新村3号楼",
                       "--username", "li", "--password", "s3cret-pw")
    assert result.exit_code == 0, result.output
    with app.extensions["linli"].factory() as s:
        st = s.scalars(select(Staff).where(Staff.openid == "o-grid")).one()
        place = s.get(Place, st.scope_id)
        assert (st.role, st.scope_kind, place.label) == ("网格员", "building", "黄巷新村3号楼")
        assert st.password_hash != "s3cret-pw" and check_password_hash(st.password_hash, "s3cret-pw")
    staff_cli(app, "add", "o-boss", "--name", "王主任", "--role", "居委会")
    listing = staff_cli(app, "list").output
    assert "o-grid\t李网格\t网格员\t黄巷新村3号楼 login=li" in listing
    assert "o-boss\t王主任\t居委会\t全社区" in listing
    again = staff_cli(app, "add", "o-grid", "--name", "李网格", "--role", "社工")
    assert again.exit_code == 0 and "已更新" in again.output
    assert "o-grid\t李网格\t社工\t全社区" in staff_cli(app, "list").output


def test_bad_role_or_scope_is_a_clear_error(app: Any) -> None:
    load_roster(app)
    bad_role = staff_cli(app, "add", "o-x", "--name", "某", "--role", "保安")
    assert bad_role.exit_code == 2
    assert "网格员, 社工, 居委会, 管理员" in bad_role.output and "--role" in bad_role.output
    for scope, words in (("9号楼", "no such place"), ("1号楼", "ambiguous"), ("3-2-301", "household"),
                         ("随便", "没看懂")):
        result = staff_cli(app, "add", "o-x", "--name", "某", "--role", "社工", "--scope", scope)
        assert result.exit_code == 2 and words in result.output and "--scope" in result.output, result.output
        assert "Traceback" not in result.output
    with app.extensions["linli"].factory() as s:
        assert s.scalars(select(Staff)).first() is None


def test_set_and_unset_stairwell_head(app: Any, wechat: WeChatSide) -> None:
    load_roster(app)
    Transcript(wechat, "o-head").run([("绑定 3号楼2单元301 张伟 5678", "绑定成功")])
    Transcript(wechat, "o-pend").run([("绑定 3号楼2单元301 无名 0000", "待审核")])
    result = staff_cli(app, "set-head", "o-head")
    assert result.exit_code == 0 and "黄巷新村3号楼2单元" in result.output, result.output
    Transcript(wechat, "o-head").run([("我的信息", "楼道长")])
    refused = staff_cli(app, "set-head", "o-pend")
    assert refused.exit_code == 2 and "not a verified resident" in refused.output
    assert staff_cli(app, "set-head", "o-nobody").exit_code == 2
    assert staff_cli(app, "unset-head", "o-head").exit_code == 0
    with transaction(app.extensions["linli"].factory) as s:
        r = s.scalars(select(Resident).where(Resident.openid == "o-head")).one()
        assert r.stairwell_head is False
    assert staff_cli(app, "unset-head", "o-head").exit_code == 1
