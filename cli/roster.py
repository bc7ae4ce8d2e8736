"""flask roster import FILE [--community NAME] [--partial]: the committee's spreadsheet into
the database (one community per file, or a 社区 column for several)."""
from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from flask import Flask
from sqlalchemy.exc import IntegrityError

from cli.common import linli
from models.db import transaction
from models.roster import Report, RosterCommunityError, import_roster
from models.roster_io import RosterFileError, read_roster

PROGRESS_FROM = 500   # rows; smaller files import faster than a bar could draw
SHOW_REJECTED = 200   # lines of rejected rows printed; the count is always exact


def summary(report: Report, partial: bool) -> str:
    lines = [f"共 {report.rows} 行：新增 {report.added}，变更 {report.changed}，"
             f"未变 {report.unchanged}，拒绝 {len(report.rejected)}"]
    if report.applied and (report.households_added or report.places_added):
        lines.append(f"（新建 {report.households_added} 户、{report.places_added} 个居民点/楼栋/单元）")
    if report.communities:
        names = "、".join(n + ("（新建）" if n in report.communities_added else "")
                         for n in report.communities)
        lines.append(f"社区：{names}")
    for r in report.rejected[:SHOW_REJECTED]:
        lines.append(f"  第 {r.line} 行：{r.reason}")
    if len(report.rejected) > SHOW_REJECTED:
        lines.append(f"  ……另有 {len(report.rejected) - SHOW_REJECTED} 行被拒绝")
    if not report.applied:
        lines.append("有问题的行，整个文件没有导入。改正后重新导入；"
                     "或加 --partial 只导入没问题的行。")
    elif report.rejected and partial:
        lines.append("没问题的行已导入；被拒绝的行改正后可再导入一次。")
    return "\n".join(lines)


def register(app: Flask) -> None:
    @app.cli.group("roster", help="居民名册 (roster) import.")
    def roster() -> None:
        pass

    @roster.command("import")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--partial", is_flag=True, help="Import the good rows even if some rows are bad.")
    @click.option("--community", default=None,
                  help="The community of rows without a 社区 column (created if new); "
                       "required when the database holds several.")
    def import_(file: str, partial: bool, community: str | None) -> None:
        """Import a roster CSV or XLSX (columns 居民点 楼栋 单元 室号 姓名 手机 面积 身份 [社区])."""
        parts = linli()
        try:
            rows = read_roster(file)
        except RosterFileError as exc:
            raise click.ClickException(str(exc)) from None
        now = datetime.now(UTC)
        secret = parts.settings.server.secret_key
        name = parts.settings.community.name
        try:
            with transaction(parts.factory) as s:
                if len(rows) > PROGRESS_FROM:
                    with click.progressbar(length=len(rows), label="检查名册", file=sys.stderr) as bar:
                        report = import_roster(s, rows, now, secret, community_name=name,
                                               community=community, partial=partial,
                                               progress=bar.update)
                else:
                    report = import_roster(s, rows, now, secret, community_name=name,
                                           community=community, partial=partial)
        except RosterCommunityError as exc:
            raise click.UsageError(str(exc)) from None
        except IntegrityError:
            raise click.ClickException("写入时与数据库里已有的数据冲突（可能另一个导入同时在进行），"
                                       "没有导入任何数据；请稍后重试。") from None
        click.echo(summary(report, partial))
        if not report.applied:
            click.get_current_context().exit(1)
