"""Account and audit commands: ``oa create-admin``, ``oa unlock``, ``oa audit verify``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from services.audit import log as audit
from services.auth import accounts
from services.db import db
from services.errors import OAError
from services.org.models import User
from services.org.roles import AUDITOR, SECADMIN, SYSADMIN


@click.command("create-admin")
@click.option("--username", prompt="用户名", help="登录用户名")
@click.option("--name", prompt="姓名", help="姓名")
@click.option(
    "--password",
    prompt="密码",
    hide_input=True,
    confirmation_prompt="再次输入密码",
    help="密码（省略时交互输入，不回显）",
)
@click.option(
    "--role",
    type=click.Choice([SYSADMIN, SECADMIN, AUDITOR]),
    default=SYSADMIN,
    show_default=True,
    help="三员之一",
)
@with_appcontext
def create_admin(username: str, name: str, password: str, role: str) -> None:
    """创建管理员账号（系统不设默认密码）。"""
    try:
        accounts.create_admin(username, name, password, role_code=role)
    except OAError as exc:
        db.session.rollback()
        details = "；".join(getattr(exc, "errors", {}).values())
        raise click.ClickException(f"{exc.message}{'：' + details if details else ''}") from exc
    db.session.commit()
    click.echo(f"已创建管理员 {username}（{role}）。")


@click.command("unlock")
@click.argument("username")
@with_appcontext
def unlock(username: str) -> None:
    """解除账号锁定。"""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在")
    accounts.unlock(user, actor=None)
    db.session.commit()
    click.echo(f"已解除 {username} 的锁定。")


@click.group("audit")
def audit_group() -> None:
    """审计日志命令。"""


@audit_group.command("verify")
@with_appcontext
def verify() -> None:
    """校验审计日志哈希链；发现篡改、插入或删除时以非零状态退出并指出首个问题记录。"""
    report = audit.verify()
    if report.ok:
        click.echo(f"审计日志完整，共 {report.count} 条记录。")
        return
    click.echo(
        f"审计日志校验失败：序号 {report.seq}，记录 ID {report.event_id or '无'}，"
        f"问题 {report.problem}：{report.message}",
        err=True,
    )
    raise SystemExit(1)


COMMANDS = [create_admin, unlock, audit_group]
