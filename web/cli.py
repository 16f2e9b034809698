"""The ``oa`` administration command: Flask's group (run, shell, routes) plus our commands."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

from services.config import ConfigError
from web.commands import COMMANDS


def _create_app() -> Flask:
    from web.app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"配置错误：{exc}", err=True)
        sys.exit(2)


@click.group(cls=FlaskGroup, create_app=_create_app, load_dotenv=False, set_debug_flag=False)
def cli() -> None:
    """政务协同办公平台管理命令 (administration commands of the platform)."""


for command in COMMANDS:
    cli.add_command(command)


def main() -> None:
    cli(prog_name="oa")


if __name__ == "__main__":
    main()
