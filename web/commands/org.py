"""Organisation commands: ``oa demo-data`` loads the fictional city of 江城市 (demo only)."""

from __future__ import annotations

import unicodedata

import click
from flask.cli import with_appcontext

from services.db import db
from services.errors import OAError
from services.org import demo

LOGIN_COLUMNS = ("用户名", "姓名", "单位", "职务/角色", "说明")


@click.command("demo-data")
@click.option("--password", help="所有演示账号的密码（省略时交互输入，不回显）")
@click.option(
    "--if-empty", is_flag=True, help="组织机构中已有数据时不报错，什么也不做（供 make run 使用）"
)
@with_appcontext
def demo_data(password: str | None, if_empty: bool) -> None:
    """载入演示数据（仅用于演示环境）：江城市 82 个单位、数百名用户和演示账号。

    每个演示用户的密码都设为 --password 指定的值，切勿在生产环境使用。
    """
    if not demo.org_is_empty():
        if if_empty:
            click.echo("组织机构中已有数据，跳过演示数据。")
            return
        raise click.ClickException("组织机构中已有数据，拒绝载入演示数据（演示数据只能载入空库）。")
    if password is None:
        password = click.prompt("演示账号密码", hide_input=True, confirmation_prompt="再次输入密码")
    try:
        summary = demo.load_demo(password)
    except OAError as exc:
        db.session.rollback()
        details = "；".join(getattr(exc, "errors", {}).values())
        raise click.ClickException(f"{exc.message}{'：' + details if details else ''}") from exc
    db.session.commit()
    click.echo(
        f"已载入演示数据：{summary.units} 个单位，{summary.departments} 个部门，"
        f"{summary.users} 名用户（密码均为刚才设置的演示密码）。"
    )
    click.echo(_table(LOGIN_COLUMNS, [tuple(login) for login in summary.logins]))


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A plain-text table aligned for a terminal, where a Chinese character is two columns."""
    widths = [max(_width(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = [header, tuple("-" * w for w in widths), *rows]
    return "\n".join(
        "  ".join(
            cell + " " * (w - _width(cell)) for cell, w in zip(line, widths, strict=True)
        ).rstrip()
        for line in lines
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


COMMANDS = [demo_data]
