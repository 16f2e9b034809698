"""Fixtures of the operations tests: a small office with a 系统管理员, and the test processes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from engine import forms
from services.db import db
from services.org.models import User
from services.org.roles import SYSADMIN
from tests.engine.operations.helpers import deploy_ops
from tests.org.factories import make_unit, make_user

RUNTIME_FORMS = Path(__file__).parent.parent / "runtime" / "forms"


@dataclass
class Staff:
    starter: User
    reviewer: User
    approver: User
    helper: User
    outsider: User
    admin: User


@pytest.fixture
def staff(app) -> Staff:
    unit = make_unit("市政府办公室")
    found = Staff(
        starter=make_user("zhang", unit, name="张三"),
        reviewer=make_user("li", unit, name="李四"),
        approver=make_user("zhao", unit, name="赵六"),
        helper=make_user("qian", unit, name="钱七"),
        outsider=make_user("wang", unit, name="王五"),
        admin=make_user("root", unit, name="管理员", roles=(SYSADMIN,)),
    )
    db.session.commit()
    return found


@pytest.fixture
def ops(staff) -> Staff:
    """The staff, with the operations test processes deployed."""
    deploy_ops()
    return staff


@pytest.fixture(autouse=True)
def operations_test_forms():
    """The runtime tests' draft and review forms serve these processes too."""
    with forms.use_forms_dir(RUNTIME_FORMS) as path:
        yield path
