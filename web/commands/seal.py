"""Seal commands: ``oa seal init-ca``, ``oa seal issue UNIT_CODE``, ``oa seal verify FILE.pdf``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from services.db import db
from services.errors import OAError
from services.org.models import Unit
from services.seal import ca, seals
from services.seal.verify import verify_pdf
from web.filters import local_time


@click.group("seal")
def seal_group() -> None:
    """电子印章命令（平台 CA、单位印章、验章）。"""


@seal_group.command("init-ca")
@with_appcontext
def init_ca() -> None:
    """创建平台印章 CA（私钥保存在 var/seal/，权限 0600）。"""
    try:
        certificate = ca.init_ca()
    except OAError as exc:
        raise click.ClickException(exc.message) from exc
    until = certificate.not_valid_after_utc
    click.echo(f"已创建平台印章 CA：{ca.ca_paths()[1]}（有效期至 {until:%Y-%m-%d}）")


@seal_group.command("issue")
@click.argument("unit_code")
@with_appcontext
def issue(unit_code: str) -> None:
    """为单位制发电子印章（UNIT_CODE 为单位编码）。"""
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise click.ClickException(f"单位编码 {unit_code} 不存在")
    try:
        seal = seals.issue_unit_seal(unit)
    except OAError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(
        f"已为 {unit.name} 制发印章 {seal.seal_code}（证书序列号 {seal.certificate_serial}）"
    )


@seal_group.command("verify")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify(pdf: Path) -> None:
    """验证 PDF 上的电子印章；无效时以非零状态退出并说明原因。"""
    try:
        result = verify_pdf(pdf.read_bytes())
    except OAError as exc:
        raise click.ClickException(exc.message) from exc
    if result.valid:
        when = local_time(result.signed_at, "%Y-%m-%d %H:%M:%S") if result.signed_at else "未知"
        click.echo(f"印章有效：{result.signer}，印章编号 {result.seal_id}，盖章时间 {when}")
        return
    click.echo(f"印章无效：{'；'.join(result.problems)}", err=True)
    raise SystemExit(1)


COMMANDS = [seal_group]
