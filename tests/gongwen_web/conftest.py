"""发文 page fixtures: two units; in 市财政局 a drafter, a colleague, the 办公室主任 and a
department head; in 市交通局 its principal leader (who must see nothing of 市财政局)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from services.auth import accounts
from services.db import db
from services.gongwen.documents import create_document
from services.gongwen.models import GongwenDocument
from services.org.models import Department, Unit, User
from tests.auth.helpers import PASSWORD, ensure_sysadmin
from tests.org.factories import make_department, make_unit, make_user

BEIJING = timezone(timedelta(hours=8))


@dataclass
class Org:
    unit: Unit
    department: Department
    other_department: Department
    drafter: User
    colleague: User
    director: User
    head: User
    other_head: User
    outsider: User


def _person(username: str, department: Department, name: str, position: str = "staff") -> User:
    user = make_user(username, department=department, position=position, name=name)
    accounts.set_password(user, PASSWORD, must_change=False)
    return user


@pytest.fixture
def org(app: Any) -> Org:
    ensure_sysadmin()  # without one, every page sends users to /setup
    unit = make_unit("市财政局")
    department = make_department("综合科", unit=unit)
    office = make_department("办公室", unit=unit, is_office=True)
    budget = make_department("预算科", unit=unit)
    elsewhere = make_department("办公室", unit=make_unit("市交通局"), is_office=True)
    found = Org(
        unit=unit,
        department=department,
        other_department=budget,
        drafter=_person("drafter", department, "张拟稿"),
        colleague=_person("colleague", department, "赵同事"),
        director=_person("director", office, "钱主任", position="office_director"),
        head=_person("head", budget, "孙科长", position="dept_head"),
        other_head=_person("head2", department, "周科长", position="dept_head"),
        outsider=_person("outsider", elsewhere, "王局长", position="principal"),
    )
    db.session.commit()
    return found


def make_doc(
    org: Org,
    title: str,
    *,
    drafted: date | None = None,
    drafter: User | None = None,
    department: Department | None = None,
    **fields: Any,
) -> GongwenDocument:
    """A 发文 of ``org.unit`` drafted by ``drafter`` (the org's drafter) on ``drafted``."""
    drafter = drafter or org.drafter
    document = create_document(
        direction="out",
        unit_id=org.unit.id,
        doc_type=fields.pop("doc_type", "通知"),
        title=title,
        drafter_id=drafter.id,
        drafting_department_id=(department or org.department).id,
        **fields,
    )
    if drafted is not None:
        document.created_at = datetime(drafted.year, drafted.month, drafted.day, 10, tzinfo=BEIJING)
    db.session.flush()
    return document
