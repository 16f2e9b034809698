"""The queries the engine uses to assign work, on a small hand-built organisation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from services.db import db
from services.errors import NotFound
from services.org import directory
from services.org.models import Position, Role
from services.org.roles import ARCHIVIST, BUILTIN_ROLES, REGISTRAR
from tests.org.conftest import SmallOrg
from tests.org.factories import make_user


def names(users: list[Any]) -> list[str]:
    return [u.username for u in users]


def test_reference_data_is_seeded_once(app) -> None:
    directory.ensure_reference_data()
    directory.ensure_reference_data()
    positions = {p.code: (p.name, p.rank, p.is_leader) for p in db.session.query(Position)}
    assert positions["principal"] == ("主要负责人", 1, True)
    assert positions["deputy"] == ("分管领导", 2, True)
    assert positions["staff"] == ("科员", 9, False)
    assert len(positions) == len(directory.BUILTIN_POSITIONS)
    assert {r.code for r in db.session.query(Role)} == {r.code for r in BUILTIN_ROLES}


def test_user_lookups(org: SmallOrg) -> None:
    assert directory.get_user(org.clerk.id) is org.clerk
    assert directory.get_user_by_username("clerk") is org.clerk
    assert directory.get_user_by_username("nobody") is None
    assert directory.user_unit(org.clerk.id) is org.bureau


def test_unit_leaders_principal_first_then_deputies_in_order(org: SmallOrg) -> None:
    assert names(directory.unit_leaders(org.bureau.id)) == ["chief", "dep1", "dep2"]
    assert names(directory.unit_leaders(org.city.id)) == []


def test_posts_and_vacancies(org: SmallOrg) -> None:
    assert directory.principal_leader(org.bureau.id) is org.chief
    assert directory.principal_leader(org.city.id) is None
    assert directory.office_director(org.bureau.id) is org.officedir
    assert directory.office_director(org.town.id) is None
    assert directory.department_head(org.basic.id) is org.head  # the inactive head is ignored
    assert directory.department_head(org.personnel.id) is None


@pytest.mark.parametrize(
    ("department", "leader"),
    [("office", "deputy1"), ("basic", "deputy1"), ("personnel", "deputy2")],
)
def test_supervising_leader_follows_the_charges(org: SmallOrg, department, leader) -> None:
    found = directory.supervising_leader(getattr(org, department).id)
    assert found is getattr(org, leader)


def test_supervising_leader_absent_without_charge(org: SmallOrg) -> None:
    from tests.org.factories import make_department

    assert directory.supervising_leader(make_department("新设科", unit=org.bureau).id) is None
    assert [d.name for d in directory.leader_charges(org.deputy1.id)] == ["办公室", "基础教育科"]


def test_office_staff_are_the_people_of_the_office(org: SmallOrg) -> None:
    assert names(directory.office_staff(org.bureau.id)) == ["odir", "reg"]


def test_role_members_scoped_and_unscoped(org: SmallOrg) -> None:
    assert names(directory.role_members(REGISTRAR)) == ["reg"]
    assert names(directory.role_members(REGISTRAR, org.bureau.id)) == ["reg"]
    assert directory.role_members(REGISTRAR, org.town.id) == []
    # An unscoped grant counts for the holder's own unit only.
    make_user("arch", org.town, None, "staff", "郑档案", roles=(ARCHIVIST,))
    assert names(directory.role_members(ARCHIVIST, org.town.id)) == ["arch"]
    assert directory.role_members(ARCHIVIST, org.bureau.id) == []


def test_tree_is_nested_and_ordered(org: SmallOrg) -> None:
    roots = directory.units_tree()
    assert [n.unit.code for n in roots] == ["zf", "qsz"]
    assert [n.unit.code for n in roots[0].children] == ["jyj"]
    assert [n.unit.code for n in roots[0].children[0].children] == ["ksy"]
    assert [u.code for u in directory.unit_descendants(org.city.id)] == ["jyj", "ksy"]
    assert directory.unit_descendants(org.town.id) == []
    assert [u.code for u in directory.unit_ancestors(org.section.id)] == ["zf", "jyj"]


def test_groups_by_kind_with_sections_per_parent(org: SmallOrg) -> None:
    groups = {g.kind: g for g in directory.unit_groups()}
    assert [s.title for s in groups["leading"].sections] == [""]
    (section,) = groups["department"].sections
    assert section.title == "市政府所属"
    assert [n.unit.code for n in section.nodes] == ["jyj"]
    assert [n.unit.code for n in section.nodes[0].children] == ["ksy"]
    assert [n.unit.code for n in groups["town"].sections[0].nodes] == ["qsz"]


def test_departments_and_roster(org: SmallOrg) -> None:
    assert [d.name for d in directory.departments_of(org.bureau.id)] == [
        "办公室",
        "基础教育科",
        "人事科",
    ]
    roster = directory.unit_roster(org.bureau.id)
    assert [(r.title, names(r.users)) for r in roster] == [
        ("单位领导", ["chief", "dep1", "dep2"]),
        ("办公室", ["odir", "reg"]),
        ("基础教育科", ["head", "clerk"]),
        ("人事科", []),
    ]
    make_user("temp", org.bureau, None, "staff", "借调人员")
    assert [r.title for r in directory.unit_roster(org.bureau.id)][-1] == "其他人员"


@pytest.mark.parametrize(
    ("q", "unit", "expected"),
    [
        ("科", None, ["head", "clerk"]),
        ("CHIEF", None, ["chief", "tchief"]),
        ("长", "town", ["tchief"]),
        ("%", None, []),  # LIKE wildcards are literal
        ("孙退休", None, []),  # inactive users are not found
    ],
)
def test_search_users(org: SmallOrg, q: str, unit: str | None, expected: list[str]) -> None:
    unit_id = getattr(org, unit).id if unit else None
    assert names(directory.search_users(q, unit_id)) == expected


def test_search_users_limit(org: SmallOrg) -> None:
    assert len(directory.search_users("", limit=3)) == 3


@pytest.mark.parametrize(("q", "expected"), [("教育", ["jyj", "ksy"]), ("QSZ", ["qsz"]), ("", 4)])
def test_search_units(org: SmallOrg, q: str, expected: list[str] | int) -> None:
    found = [u.code for u in directory.search_units(q)]
    assert found == expected if isinstance(expected, list) else len(found) == expected


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [("clerk", "13912345678"), ("town_chief", "139****5678")],
)
def test_mobile_masked_outside_the_unit(org: SmallOrg, viewer: str, expected: str) -> None:
    assert directory.visible_mobile(org.registrar, getattr(org, viewer)) == expected


LOOKUPS: list[Callable[[int], Any]] = [
    directory.get_user,
    directory.get_unit,
    directory.get_department,
    directory.user_unit,
    directory.unit_leaders,
    directory.principal_leader,
    directory.supervising_leader,
    directory.department_head,
    directory.office_director,
    directory.office_staff,
    directory.unit_descendants,
    directory.departments_of,
    directory.unit_roster,
    directory.leader_charges,
]


@pytest.mark.parametrize("lookup", LOOKUPS, ids=lambda f: f.__name__)
def test_unknown_ids_raise_not_found_in_chinese(org: SmallOrg, lookup) -> None:
    with pytest.raises(NotFound, match="不存在"):
        lookup(99999)


def test_unknown_role_raises_not_found(org: SmallOrg) -> None:
    with pytest.raises(NotFound, match="角色不存在"):
        directory.role_members("nonexistent")
