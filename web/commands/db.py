"""Database commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

import migrations
from services.db import db


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """创建或升级数据库结构（Alembic upgrade head）。"""
    migrations.upgrade_to_head(db.engine)
    click.echo("数据库结构已是最新版本。")


COMMANDS = [init_db]
