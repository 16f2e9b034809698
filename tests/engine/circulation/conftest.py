"""Fixtures of the 传阅 and 催办 tests: a unit with an 办公室 and a 综合科, a second unit, and the
operations test chain (拟稿 -> 审核 -> 签发) deployed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from engine import forms
from services.db import db
from services.org.models import Department, Unit, User
from tests.engine.operations.helpers import deploy_ops
from tests.org.factories import make_department, make_unit, make_user

RUNTIME_FORMS = Path(__file__).parent.parent / "runtime" / "forms"


@dataclass
class Bureau:
    unit: Unit
    section: Department
    office: Department
    starter: User
    reviewer: User
    approver: User
    reader: User
    office_clerk: User
    other_unit: Unit
    outsider: User


@pytest.fixture
def bureau(app) -> Bureau:
    unit = make_unit("市财政局")
    section = make_department("综合科", unit=unit)
    office = make_department("办公室", unit=unit, is_office=True)
    other = make_unit("市交通局")
    found = Bureau(
        unit=unit,
        section=section,
        office=office,
        starter=make_user("zhang", unit, section, name="张三"),
        reviewer=make_user("li", unit, section, name="李四"),
        approver=make_user("zhao", unit, section, name="赵六"),
        reader=make_user("qian", unit, section, name="钱七"),
        office_clerk=make_user("sun", unit, office, name="孙办"),
        other_unit=other,
        outsider=make_user("wang", other, make_department("办公室", unit=other), name="王五"),
    )
    deploy_ops()
    db.session.commit()
    return found


@pytest.fixture(autouse=True)
def chain_forms():
    """The runtime tests' draft and review forms serve the chain process."""
    with forms.use_forms_dir(RUNTIME_FORMS) as path:
        yield path
