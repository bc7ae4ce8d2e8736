"""Roster import (`flask roster import`): CSV in three encodings and XLSX, idempotency,
change detection, bad rows (all-or-nothing or --partial), bad files, 20,000 rows, privacy."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import String, Text, func, inspect, select, text

from models.community import Household, Place
from models.people import RosterEntry
from tests.community.helpers import HEADER, ROSTER_DIR, SMALL, load_roster

BAD = ROSTER_DIR / "bad.csv"


def run(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["roster", "import", *args])


def snapshot(app: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the community tables, to prove a re-import changed nothing."""
    out = {}
    with app.extensions["linli"].factory() as s:
        for table in ("community", "place", "household", "roster_entry"):
            out[table] = [tuple(r) for r in s.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
    return out


def households(app: Any) -> dict[str, Household]:
    with app.extensions["linli"].factory() as s:
        return {h.label: h for h in s.scalars(select(Household))}


def test_csv_import_builds_the_tree_and_reports_what_it_added(app: Any) -> None:
    result = run(app, str(SMALL))
    assert result.exit_code == 0, result.output
    assert "新增 7，变更 0，未变 0，拒绝 0" in result.output
    hh = households(app)
    assert set(hh) == {"黄巷新村3号楼2单元301室", "黄巷新村3号楼2单元302室", "黄巷新村3号楼1单元101室",
                       "黄巷新村5号楼1单元501室", "东园1号楼1单元101室", "黄巷新村1号楼1单元101室"}
    h = hh["黄巷新村3号楼2单元301室"]
    assert (h.area, h.tenure) == (Decimal("89.50"), "owner")
    assert hh["黄巷新村3号楼2单元302室"].tenure == "tenant"
    with app.extensions["linli"].factory() as s:
        labels = set(s.scalars(select(Place.label)))
        assert {"黄巷新村", "黄巷新村3号楼", "黄巷新村3号楼2单元", "东园1号楼1单元"} <= labels
        names = set(s.scalars(select(RosterEntry.name).where(RosterEntry.household_id == h.id)))
        assert names == {"张伟", "王芳"}
        assert s.scalar(select(func.count()).select_from(Place)) == 11   # 2 points, 4 buildings, 5 units


@pytest.mark.parametrize("variant", ["small.csv", "small_bom.csv", "small_gbk.csv"])
def test_reimport_changes_nothing_whatever_the_encoding(app: Any, variant: str) -> None:
    assert run(app, str(SMALL)).exit_code == 0
    before = snapshot(app)
    result = run(app, str(ROSTER_DIR / variant))
    assert result.exit_code == 0, result.output
    assert "新增 0，变更 0，未变 7，拒绝 0" in result.output
    assert snapshot(app) == before


def test_xlsx_with_a_title_row_and_excel_numbers(app: Any, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["黄巷社区居民名册（2026年11月）"])
    sheet.append(HEADER.split(","))
    sheet.append(["黄巷新村", 3, 2, 301, "张伟", 13812345678, 89.5, "业主"])
    sheet.append(["黄巷新村", "三号楼", "二单元", "302室", "李强", "137-0000-2222", "76㎡", "租户"])
    sheet.append([None] * 8)
    sheet.append(["东园", "1栋", 1, 101, "周杰", 18600005555, 120, "业主"])
    path = tmp_path / "名册.xlsx"
    book.save(path)
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert "新增 3，变更 0，未变 0，拒绝 0" in result.output
    hh = households(app)
    assert hh["黄巷新村3号楼2单元302室"].area == Decimal("76.00")
    assert "东园1号楼1单元101室" in hh
    again = run(app, str(path))
    assert "新增 0，变更 0，未变 3" in again.output


def test_a_changed_phone_identity_or_area_is_reported_as_changed(app: Any, tmp_path: Path) -> None:
    load_roster(app)
    lines = SMALL.read_text(encoding="utf-8").splitlines()
    lines[1] = "黄巷新村,3,2,301,张伟,13812349999,89.5,业主"      # new phone
    lines[3] = "黄巷新村,三号楼,2,302,李强,13700002222,76,业主"    # tenant → owner
    lines[4] = "黄巷新村,3,1,101,赵敏,13600003333,110,业主"       # new area
    changed = tmp_path / "changed.csv"
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(app, str(changed))
    assert "新增 0，变更 3，未变 4，拒绝 0" in result.output, result.output
    hh = households(app)
    assert hh["黄巷新村3号楼2单元302室"].tenure == "owner"
    assert hh["黄巷新村3号楼1单元101室"].area == Decimal("110.00")
    with app.extensions["linli"].factory() as s:
        e = s.scalars(select(RosterEntry).where(RosterEntry.name == "张伟")).one()
        assert (e.phone_last4, e.phone_masked) == ("9999", "138****9999")


def test_bad_rows_are_named_and_nothing_is_imported(app: Any) -> None:
    result = run(app, str(BAD))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    for expected in ("第 3 行：缺少姓名", "第 4 行：手机号不对", "第 5 行：面积“七十”不是数字",
                     "第 6 行：身份“房东”不认识", "第 7 行：与第 2 行重复", "拒绝 5", "整个文件没有导入", "--partial"):
        assert expected in result.output, result.output
    with app.extensions["linli"].factory() as s:
        assert s.scalar(select(func.count()).select_from(RosterEntry)) == 0
        assert s.scalar(select(func.count()).select_from(Household)) == 0


def test_partial_imports_the_good_rows_and_reports_the_bad(app: Any) -> None:
    result = run(app, str(BAD), "--partial")
    assert result.exit_code == 0, result.output
    assert "新增 2，变更 0，未变 0，拒绝 5" in result.output
    assert "第 3 行：缺少姓名" in result.output
    assert set(households(app)) == {"黄巷新村3号楼2单元301室", "黄巷新村3号楼2单元306室"}
    again = run(app, str(BAD), "--partial")
    assert "新增 0，变更 0，未变 2，拒绝 5" in again.output


@pytest.mark.parametrize("name,content,message", [
    ("missing.csv", None, "文件不存在"),
    ("old.xls", b"\xd0\xcf\x11\xe0", "另存为 .xlsx"),
    ("notes.pdf", b"%PDF-1.4", "不支持的文件类型"),
    ("broken.xlsx", b"not a zip", "不是有效的 XLSX"),
    ("noheader.csv", "a,b,c\n1,2,3\n".encode(), "找不到表头"),
    ("short.csv", "居民点,楼栋,室号,姓名\n".encode(), "缺少列：单元、手机、面积、身份"),
])
def test_bad_files_get_a_message_not_a_traceback(app: Any, tmp_path: Path, name: str,
                                                 content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = run(app, str(path))
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def big_roster(path: Path, n: int = 20_000) -> None:
    lines = [HEADER]
    i = 0
    for b in range(1, 51):
        for u in range(1, 5):
            for floor in range(1, 26):
                for r in range(1, 5):
                    i += 1
                    lines.append(f"{'黄巷新村' if b <= 30 else '东园'},{b},{u},{floor}{r:02d},居民{i},"
                                 f"138{i:08d},{60 + i % 50}.5,{'业主' if i % 3 else '租户'}")
    assert i == n
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_twenty_thousand_rows_with_progress(app: Any, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    big_roster(path)
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert "检查名册" in result.stderr
    assert "新增 20000，变更 0，未变 0，拒绝 0" in result.stdout
    again = run(app, str(path))
    assert "新增 0，变更 0，未变 20000，拒绝 0" in again.stdout
    with app.extensions["linli"].factory() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 20_000


def test_small_files_show_no_progress_bar(app: Any) -> None:
    assert run(app, str(SMALL)).stderr == ""


def test_full_phone_numbers_are_stored_nowhere(app: Any) -> None:
    load_roster(app)
    phones = [line.split(",")[5] for line in SMALL.read_text(encoding="utf-8").splitlines()[1:]]
    engine = app.extensions["linli"].engine
    insp = inspect(engine)
    columns = {t: [c["name"] for c in insp.get_columns(t) if isinstance(c["type"], (String, Text))]
               for t in insp.get_table_names()}
    assert "phone_masked" in columns["roster_entry"]
    found = []
    with engine.connect() as conn:
        for table, cols in columns.items():
            if not cols:
                continue
            for row in conn.execute(text(f"SELECT {', '.join(cols)} FROM {table}")):
                found += [(table, p) for v in row if v for p in phones if p in str(v)]
        masked = list(conn.execute(text("SELECT phone_last4, phone_masked, phone_hash FROM roster_entry")))
    assert found == []
    assert ("5678", "138****5678") in [(m[0], m[1]) for m in masked]
    assert all(len(m[2]) == 64 for m in masked)
