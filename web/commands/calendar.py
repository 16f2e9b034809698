"""Working-day calendar commands: ``oa calendar list``, ``import FILE``, ``load-bundled YEAR``.

Every change is audited like the 工作日历 page does (``calendar.import`` /
``calendar.load_bundled`` on ``calendar_year``), marked as coming from the command line.
Bad input is refused in Chinese with exit status 2 and nothing written.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import with_appcontext

from services.audit import log as audit
from services.calendar import entries
from services.calendar.models import KINDS
from services.calendar.schedule import bundled_years, parse_schedule
from services.db import db
from services.errors import ValidationFailed
from services.gongwen.documents import beijing_today

MAX_FILE_BYTES = 64 * 1024
CLI_AGENT = "oa 命令行"


def _refuse(message: str) -> NoReturn:
    db.session.rollback()
    click.echo(f"错误：{message}", err=True)
    sys.exit(2)


def _problem(exc: ValidationFailed) -> str:
    details = "；".join(exc.errors.values()) if exc.errors else ""
    return f"{exc.message}：{details}" if details else exc.message


def _audit(action: str, year: int, **detail: object) -> None:
    audit.record(
        action,
        user_agent=CLI_AGENT,
        object_type="calendar_year",
        object_id=year,
        detail={**detail, "via": "cli", "os_user": getpass.getuser()},
    )


@click.group("calendar")
def calendar_group() -> None:
    """工作日历命令（法定节假日与调休上班）。"""


@calendar_group.command("list")
@click.option("--year", type=int, default=None, help="年度（默认今年）")
@with_appcontext
def list_year(year: int | None) -> None:
    """列出一年的放假与调休上班日期，并注明来源（已维护 / 内置国务院安排）。"""
    try:
        view = entries.year_view(year or beijing_today().year)
    except ValidationFailed as exc:
        _refuse(_problem(exc))
    if view.managed:
        click.echo(f"{view.year} 年工作日历（已维护，共 {len(view.rows)} 天）：")
        shown = [(r.day, r.kind, r.name) for r in view.rows]
    elif view.bundled:
        click.echo(f"{view.year} 年未维护，使用内置的国务院放假安排（共 {len(view.bundled)} 天）：")
        shown = [(e.day, e.kind, e.name) for e in view.bundled]
    else:
        years = "、".join(str(y) for y in bundled_years())
        click.echo(f"{view.year} 年没有日历：仅按周一至周五计算工作日（内置年度：{years}）。")
        return
    for day, kind, name in shown:
        click.echo(f"{day}  {KINDS[kind]:<4}  {name}")


def _read(path: Path) -> str:
    try:
        content = path.read_bytes()
    except OSError as exc:
        _refuse(f"无法读取文件 {path}：{exc.strerror}")
    if len(content) > MAX_FILE_BYTES:
        _refuse("日历文件不能超过 64 KB")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse("请使用 UTF-8 编码的文本或 JSON")


def _file_year(text: str) -> int:
    years = sorted({entry.day.year for entry in parse_schedule(text)})
    if not years:
        _refuse("没有可导入的条目：文件中没有日期")
    if len(years) != 1:
        found = "、".join(str(y) for y in years)
        _refuse(f"文件中的日期应属于同一年（发现：{found}），或用 --year 指定年度")
    return years[0]


@calendar_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--year", type=int, default=None, help="年度（默认取文件中日期的年份）")
@with_appcontext
def import_file(file: Path, year: int | None) -> None:
    """用文件（文本或 JSON，格式同工作日历页面）替换一年的日历。"""
    text = _read(file)
    try:
        year = year or _file_year(text)
        count = entries.import_year(year, text, actor_id=None)
        _audit("calendar.import", year, count=count, file=file.name)
    except ValidationFailed as exc:
        _refuse(_problem(exc))
    db.session.commit()
    click.echo(f"已导入 {year} 年日历，共 {count} 天。")


@calendar_group.command("load-bundled")
@click.argument("year", type=int)
@with_appcontext
def load_bundled(year: int) -> None:
    """用内置的国务院放假安排替换一年的日历。"""
    try:
        count = entries.load_bundled(year, actor_id=None)
        _audit("calendar.load_bundled", year, count=count)
    except ValidationFailed as exc:
        _refuse(_problem(exc))
    db.session.commit()
    click.echo(f"已载入内置的 {year} 年国务院放假安排，共 {count} 天。")


COMMANDS = [calendar_group]
