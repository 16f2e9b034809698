"""A small hand-built organisation shared by the directory tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from services.db import db
from services.org import grants
from services.org.models import Department, LeaderCharge, Unit, User
from services.org.roles import REGISTRAR
from tests.org.factories import make_department, make_unit, make_user


@dataclass
class SmallOrg:
    city: Unit
    bureau: Unit
    section: Unit
    town: Unit
    office: Department
    basic: Department
    personnel: Department
    chief: User
    deputy1: User
    deputy2: User
    officedir: User
    registrar: User
    head: User
    clerk: User
    retired: User
    town_chief: User


@pytest.fixture
def org(app: Flask) -> SmallOrg:
    """市政府 > 市教育局 > 教育考试院, and 青石镇; 人事科 has no head (a vacant post)."""
    city = make_unit("江城市人民政府", code="zf", kind="leading", short_name="市政府", sort_order=1)
    bureau = make_unit("江城市教育局", code="jyj", parent=city, short_name="市教育局", sort_order=2)
    section = make_unit(
        "江城市教育考试院", code="ksy", parent=bureau, short_name="考试院", sort_order=3
    )
    town = make_unit(
        "江城市青石镇人民政府", code="qsz", kind="town", short_name="青石镇", sort_order=4
    )
    office = make_department("办公室", unit=bureau, is_office=True, sort_order=1)
    basic = make_department("基础教育科", unit=bureau, sort_order=2)
    personnel = make_department("人事科", unit=bureau, sort_order=3)
    o = SmallOrg(
        city, bureau, section, town, office, basic, personnel,
        chief=make_user("chief", bureau, None, "principal", "王局长"),
        deputy1=make_user("dep1", bureau, None, "deputy", "李副局长"),
        deputy2=make_user("dep2", bureau, None, "deputy", "赵副局长"),
        officedir=make_user("odir", bureau, office, "office_director", "陈主任"),
        registrar=make_user("reg", bureau, office, "staff", "周收发", mobile="13912345678"),
        head=make_user("head", bureau, basic, "dept_head", "刘科长"),
        clerk=make_user("clerk", bureau, basic, "staff", "张科员", mobile="13800001111"),
        retired=make_user("old", bureau, basic, "dept_head", "孙退休", active=False),
        town_chief=make_user("tchief", town, None, "principal", "吴镇长"),
    )  # fmt: skip
    o.deputy2.sort_order = 2
    o.deputy1.sort_order = 1
    grants.grant_role(o.registrar, REGISTRAR, unit_id=bureau.id)
    db.session.add_all(
        [
            LeaderCharge(leader=o.deputy1, department=office),
            LeaderCharge(leader=o.deputy1, department=basic),
            LeaderCharge(leader=o.deputy2, department=personnel),
        ]
    )
    db.session.flush()
    return o
