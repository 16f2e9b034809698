"""Maintaining the directory: every rule refuses bad input with a Chinese message per field."""

from __future__ import annotations

from typing import Any

import pytest

from services.errors import NotFound, ValidationFailed
from services.org import admin, directory
from tests.org.conftest import SmallOrg


def test_create_unit_department_and_user(org: SmallOrg) -> None:
    unit = admin.create_unit(
        "tyj", "江城市体育局", "市体育局", parent_id=org.city.id, issuer_code="江体"
    )
    office = admin.create_department(unit.id, "办公室", is_office=True, sort_order=1)
    user = admin.create_user(
        "Tyj_001", " 钱局长 ", unit.id, "principal", department_id=None, mobile="13900000001"
    )
    assert unit.id and unit.kind == "department" and unit.parent is org.city
    assert user.username == "tyj_001" and user.name == "钱局长"
    assert directory.principal_leader(unit.id) is user
    assert directory.departments_of(unit.id) == [office]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "教育"}, "code"),
        ({"code": "jyj"}, "code"),  # taken
        ({"name": "  "}, "name"),
        ({"kind": "village"}, "kind"),
        ({"parent_id": 99999}, "parent_id"),
    ],
)
def test_create_unit_refuses(org: SmallOrg, kwargs: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {"code": "new", "name": "新单位", **kwargs}
    with pytest.raises(ValidationFailed) as caught:
        admin.create_unit(values.pop("code"), values.pop("name"), **values)
    assert field in caught.value.errors


@pytest.mark.parametrize("child", ["city", "bureau", "section"])
def test_unit_cannot_move_below_itself(org: SmallOrg, child: str) -> None:
    with pytest.raises(ValidationFailed, match="组织机构") as caught:
        admin.update_unit(org.city.id, parent_id=getattr(org, child).id)
    assert "上级单位" in caught.value.errors["parent_id"]


def test_update_unit_moves_and_renames(org: SmallOrg) -> None:
    admin.update_unit(org.section.id, parent_id=org.city.id, short_name="市考试院")
    assert [u.code for u in directory.unit_descendants(org.city.id)] == ["jyj", "ksy"]
    assert directory.unit_ancestors(org.section.id) == [org.city]
    with pytest.raises(ValidationFailed):
        admin.update_unit(org.section.id, code="other")  # the code is a stable key


def test_department_names_unique_within_unit(org: SmallOrg) -> None:
    with pytest.raises(ValidationFailed, match="组织机构") as caught:
        admin.create_department(org.bureau.id, "人事科")
    assert "人事科" in caught.value.errors["name"]
    assert admin.create_department(org.town.id, "人事科").unit_id == org.town.id
    with pytest.raises(ValidationFailed):
        admin.update_department(org.personnel.id, name="基础教育科")
    assert admin.update_department(org.personnel.id, name="组织人事科").name == "组织人事科"
    with pytest.raises(NotFound):
        admin.create_department(99999, "综合科")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"username": "张三"}, "username"),
        ({"username": "clerk"}, "username"),  # taken
        ({"name": ""}, "name"),
        ({"position_code": "mayor"}, "position_code"),
        ({"department": "town"}, "department_id"),  # a department of another unit
        ({"mobile": "12345"}, "mobile"),
    ],
)
def test_create_user_refuses(org: SmallOrg, kwargs: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {"username": "newbie", "name": "新人", "position_code": "staff"}
    values |= kwargs
    if values.pop("department", None):
        values["department_id"] = admin.create_department(org.town.id, "综合科").id
    with pytest.raises(ValidationFailed) as caught:
        admin.create_user(values.pop("username"), values.pop("name"), org.bureau.id, **values)
    assert field in caught.value.errors


def test_moving_a_user_to_another_unit_drops_the_old_department(org: SmallOrg) -> None:
    admin.update_user(org.clerk.id, unit_id=org.town.id)
    assert org.clerk.unit is org.town and org.clerk.department_id is None
    with pytest.raises(ValidationFailed):
        admin.update_user(org.clerk.id, department_id=org.basic.id)
    with pytest.raises(ValidationFailed):
        admin.update_user(org.clerk.id, username="renamed")


def test_leader_charges_are_replaced(org: SmallOrg) -> None:
    admin.set_leader_charges(org.deputy2.id, [org.basic.id, org.personnel.id, org.basic.id])
    assert directory.leader_charges(org.deputy2.id) == [org.basic, org.personnel]
    assert directory.supervising_leader(org.personnel.id) is org.deputy2
    admin.set_leader_charges(org.deputy2.id, [])
    assert directory.supervising_leader(org.personnel.id) is None


@pytest.mark.parametrize(
    ("leader", "field"), [("head", "leader_id"), ("town_chief", "department_ids")]
)
def test_leader_charges_refused(org: SmallOrg, leader: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        admin.set_leader_charges(getattr(org, leader).id, [org.basic.id])
    assert field in caught.value.errors
