"""A small organisation for the API tests: two units, a department with its head, registrars
(a group task), an analyst, a system administrator and an outsider from another unit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from services.db import db
from services.org.models import User
from services.org.roles import ANALYST, REGISTRAR, SYSADMIN
from tests.api.helpers import with_password
from tests.org.factories import make_department, make_unit, make_user


@dataclass
class ApiOrg:
    clerk: User
    depthead: User
    registrar1: User
    registrar2: User
    analyst: User
    sysadmin: User
    outsider: User


@pytest.fixture
def org(app: Flask) -> ApiOrg:
    bureau = make_unit("江城市民政局", code="mzj", short_name="市民政局")
    other = make_unit("江城市水务局", code="swj", short_name="市水务局")
    office = make_department("办公室", unit=bureau, is_office=True)
    other_office = make_department("办公室", unit=other, is_office=True)
    people = ApiOrg(
        clerk=make_user("clerk", bureau, office, "staff", "张科员"),
        depthead=make_user("depthead", bureau, office, "dept_head", "李主任"),
        registrar1=make_user("reg1", bureau, office, "staff", "王收发", roles=(REGISTRAR,)),
        registrar2=make_user("reg2", bureau, office, "staff", "赵收发", roles=(REGISTRAR,)),
        analyst=make_user("analyst", other, other_office, "staff", "钱设计", roles=(ANALYST,)),
        sysadmin=make_user("sysadmin", bureau, office, "staff", "孙管理", roles=(SYSADMIN,)),
        outsider=make_user("outsider", other, other_office, "staff", "周外人"),
    )
    for user in vars(people).values():
        with_password(user)
    db.session.commit()
    return people
