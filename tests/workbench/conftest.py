"""Workbench fixtures: a department with a clerk and its head, an outsider in another unit,
and the 请假 process deployed from processes/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.definitions import repository
from services.auth import accounts
from services.db import db
from services.org.models import User
from tests.auth.helpers import PASSWORD, ensure_sysadmin
from tests.org.factories import make_department, make_unit, make_user

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


@dataclass
class Office:
    clerk: User
    head: User
    colleague: User
    outsider: User


def _person(username: str, department, name: str, position: str = "staff", unit=None) -> User:
    user = make_user(username, unit=unit, department=department, position=position, name=name)
    accounts.set_password(user, PASSWORD, must_change=False)
    return user


@pytest.fixture
def office(app) -> Office:
    """Clerk and head of 综合科; a colleague of the same department; a user of another unit."""
    ensure_sysadmin()
    department = make_department("综合科", unit=make_unit("市财政局"))
    elsewhere = make_department("办公室", unit=make_unit("市交通局"))
    found = Office(
        clerk=_person("clerk1", department, "张科员"),
        head=_person("head1", department, "李科长", position="dept_head"),
        colleague=_person("colleague1", department, "赵科员"),
        outsider=_person("outsider1", elsewhere, "王外单位"),
    )
    files = {"qingjia.bpmn": (PROCESSES / "qingjia.bpmn").read_bytes()}
    repository.deploy(files, deployed_by=None, comment="workbench tests")
    db.session.commit()
    return found
