"""``oa demo-data``: loads once, refuses or skips a filled directory, prompts for the password."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from services.db import db
from services.org.models import Unit
from web.commands.org import demo_data

PASSWORD = "Demo@2025oa"


def unit_count() -> int:
    db.session.rollback()  # see what the command committed in its own session
    return db.session.scalar(select(func.count()).select_from(Unit)) or 0


def test_loads_prints_logins_then_refuses_or_skips(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(demo_data, ["--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "82 个单位" in result.output
    for username in ("clerk", "depthead", "officedir", "leader", "chief", "registrar", "auditor"):
        assert f"\n{username} " in result.output
    assert unit_count() == 82

    refused = runner.invoke(demo_data, ["--password", PASSWORD])
    assert refused.exit_code == 1 and "拒绝载入" in refused.output
    skipped = runner.invoke(demo_data, ["--if-empty", "--password", PASSWORD])
    assert skipped.exit_code == 0 and "跳过" in skipped.output
    assert unit_count() == 82


def test_prompts_for_the_password_twice_without_echo(app: Flask) -> None:
    result = app.test_cli_runner().invoke(demo_data, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input
    assert "再次输入密码" in result.output
    assert unit_count() == 82


def test_weak_password_loads_nothing(app: Flask) -> None:
    result = app.test_cli_runner().invoke(demo_data, ["--password", "demo"])
    assert result.exit_code == 1
    assert "密码" in result.output
    assert unit_count() == 0
