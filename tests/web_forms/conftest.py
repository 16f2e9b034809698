"""A few people and units for the org pickers and the opinion author of the form tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from services.org.models import Department, Unit, User
from tests.org.factories import make_department, make_unit, make_user


@dataclass
class FormOrg:
    bureau: Unit
    town: Unit
    office: Department
    clerk: User
    director: User


@pytest.fixture
def org(app: Flask) -> FormOrg:
    bureau = make_unit("江城市教育局", code="jyj", short_name="市教育局")
    town = make_unit("江城市青石镇人民政府", code="qsz", kind="town", short_name="青石镇")
    office = make_department("办公室", unit=bureau, is_office=True)
    clerk = make_user("clerk", bureau, office, "staff", "张科员")
    director = make_user("odir", bureau, office, "office_director", "陈主任")
    return FormOrg(bureau, town, office, clerk, director)
