"""``oa create-admin`` and ``oa unlock``."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from services.auth.login import authenticate
from services.db import db
from services.errors import AuthenticationFailed
from services.org import grants
from services.org.models import User
from services.org.roles import AUDITOR, SYSADMIN
from tests.auth.helpers import PASSWORD, make_user
from web.commands.auth import create_admin, unlock


def test_create_admin_with_options(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        create_admin, ["--username", "root", "--name", "管理员", "--password", "Admin#2025x"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.username == "root")).one()
    assert grants.has_role(user, SYSADMIN) and grants.has_system_admin()
    assert user.unit.name == "平台运维"
    assert authenticate("root", "Admin#2025x", None, None) is user


def test_create_admin_prompts_with_hidden_confirmed_password(app: Flask) -> None:
    typed = "auditor\n审计员\nAudit#2025x\nAudit#2025x\n"
    result = app.test_cli_runner().invoke(create_admin, ["--role", AUDITOR], input=typed)
    assert result.exit_code == 0, result.output
    assert "Audit#2025x" not in result.output  # hidden input
    user = db.session.scalars(select(User).where(User.username == "auditor")).one()
    assert grants.has_role(user, AUDITOR)


def test_create_admin_refuses_a_weak_password(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        create_admin, ["--username", "root", "--name", "管理员", "--password", "password"]
    )
    assert result.exit_code != 0
    assert "密码" in result.output
    assert not grants.has_system_admin()


def test_unlock_command(app: Flask) -> None:
    make_user("locked")
    db.session.commit()
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            authenticate("locked", "Wrong#Pass1", None, None)
    db.session.commit()
    result = app.test_cli_runner().invoke(unlock, ["locked"])
    assert result.exit_code == 0, result.output
    assert authenticate("locked", PASSWORD, None, None).username == "locked"


def test_unlock_unknown_user(app: Flask) -> None:
    result = app.test_cli_runner().invoke(unlock, ["ghost"])
    assert result.exit_code != 0 and "不存在" in result.output
