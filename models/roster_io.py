"""Reading the committee's roster spreadsheet (CSV or XLSX) into plain rows.

Columns 居民点, 楼栋, 单元, 室号, 姓名, 手机, 面积, 身份, and optionally 社区 (one file may
hold several communities); a title row above the header is skipped; a few common variants
of the column names are accepted. CSV may be UTF-8,
UTF-8 with BOM, or GBK/GB18030 as Excel in China saves it.
"""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COLUMNS = ("居民点", "楼栋", "单元", "室号", "姓名", "手机", "面积", "身份")
OPTIONAL = ("社区",)
ALIASES = {
    "小区": "居民点", "居民小区": "居民点", "楼号": "楼栋", "楼": "楼栋", "栋": "楼栋",
    "单元号": "单元", "楼道": "单元", "室": "室号", "房号": "室号", "门牌号": "室号",
    "手机号": "手机", "手机号码": "手机", "电话": "手机", "联系电话": "手机",
    "面积(m²)": "面积", "面积（m²）": "面积", "面积(㎡)": "面积", "面积（㎡）": "面积",
    "建筑面积": "面积", "房屋面积": "面积", "身份类型": "身份", "类型": "身份",
    "社区名称": "社区", "所属社区": "社区", "社区名": "社区",
}
HEADER_SEARCH_ROWS = 10


class RosterFileError(Exception):
    """The file as a whole cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class RawRow:
    line: int                    # line (CSV) or row (XLSX) number as the spreadsheet shows it
    cells: dict[str, str]        # column → text, every COLUMNS key present (社区 if the file has it)


def cell_text(value: Any) -> str:
    """A cell as text; Excel numbers such as 301.0 or 13812345678 come back as digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_name(value: Any) -> str:
    name = cell_text(value).replace(" ", "").replace("\u3000", "")
    return ALIASES.get(name, name)


def rows_from_table(table: Iterable[tuple[int, list[Any]]]) -> Iterator[RawRow]:
    """(line, cells) pairs → RawRows, after finding the header row."""
    it = iter(table)
    index: dict[str, int] | None = None
    seen: list[str] = []
    for line, cells in it:
        names = [_header_name(c) for c in cells]
        if "姓名" in names and "室号" in names:
            missing = [c for c in COLUMNS if c not in names]
            if missing:
                raise RosterFileError(f"表头缺少列：{'、'.join(missing)}（第{line}行）")
            index = {c: names.index(c) for c in (*COLUMNS, *OPTIONAL) if c in names}
            break
        seen.append(",".join(n for n in names if n))
        if len(seen) >= HEADER_SEARCH_ROWS:
            break
    if index is None:
        raise RosterFileError("找不到表头：需要列 " + "、".join(COLUMNS))
    for line, cells in it:
        values = {c: cell_text(cells[i]) if i < len(cells) else "" for c, i in index.items()}
        if any(values.values()):
            yield RawRow(line, values)


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError(f"{path.name}: 文件编码无法识别，请另存为 UTF-8 的 CSV 或 XLSX")


def read_csv(path: Path) -> list[RawRow]:
    text = _decode(path.read_bytes(), path)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)   # Excel may save tab-separated text
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return list(rows_from_table((reader.line_num, row) for row in reader))
    except csv.Error as exc:
        raise RosterFileError(f"{path.name}: CSV 格式有误（{exc}）") from None


def read_xlsx(path: Path) -> list[RawRow]:
    from openpyxl import load_workbook  # deferred: only the import command needs it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise RosterFileError(f"{path.name}: 不是有效的 XLSX 文件（{exc.__class__.__name__}）") from None
    try:
        sheet = book.worksheets[0]
        table = ((n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), 1))
        return list(rows_from_table(table))
    finally:
        book.close()


def read_roster(path: str | Path) -> list[RawRow]:
    """Rows of a roster file; RosterFileError for a missing, unsupported or unreadable file."""
    path = Path(path)
    if not path.is_file():
        raise RosterFileError(f"{path}: 文件不存在")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    if suffix == ".xls":
        raise RosterFileError(f"{path.name}: 不支持旧版 .xls，请在 Excel 里另存为 .xlsx 或 .csv")
    raise RosterFileError(f"{path.name}: 不支持的文件类型 {suffix or '(无扩展名)'}，请用 .csv 或 .xlsx")
